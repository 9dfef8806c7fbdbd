using System.Management.Automation;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Client;

/// <summary>Writes received messages as objects: those waiting now, or with -Wait as they arrive.</summary>
[Cmdlet(VerbsCommunications.Receive, "ChatMessage")]
[OutputType(typeof(ChatMessage))]
public sealed class ReceiveChatMessageCommand : SessionCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string? Room { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>Seconds to wait in all (with -Wait), or for the first message (without).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Timeout { get; set; } = -1;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; } = int.MaxValue;

    protected override void EndProcessing()
    {
        var session = ResolveSession();
        var pattern = Room is null ? null : new WildcardPattern(Room, WildcardOptions.IgnoreCase);
        var warned = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var written = 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(CancelToken);
        if (Timeout >= 0)
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(Timeout));
        }

        // Messages held back earlier because another -Room was asked for come first.
        foreach (var held in Take(session, pattern))
        {
            Write(held);
            if (++written >= Count)
            {
                return;
            }
        }

        // A short grace without -Wait lets the session finish catching up after a connect.
        var idle = TimeSpan.FromMilliseconds(Timeout >= 0 && !Wait ? Timeout * 1000 : 300);
        while (written < Count)
        {
            SecureMessage message;
            try
            {
                if (Wait)
                {
                    message = session.Secure.ReceiveAsync(deadline.Token).AsTask().GetAwaiter().GetResult();
                }
                else
                {
                    using var quiet = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                    quiet.CancelAfter(idle);
                    message = session.Secure.ReceiveAsync(quiet.Token).AsTask().GetAwaiter().GetResult();
                }
            }
            catch (OperationCanceledException)
            {
                return; // Ctrl+C, the timeout, or nothing more waiting
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                WriteWarning("The session has closed; no more messages will arrive. Connect again with Connect-ChatRoom.");
                return;
            }

            if (pattern is not null && !pattern.IsMatch(message.Room))
            {
                lock (session.Held)
                {
                    session.Held.Add(message);
                }

                continue;
            }

            Write(message);
            written++;
        }

        void Write(SecureMessage message)
        {
            if (!message.Verified)
            {
                WriteWarning($"A {message.Room} event #{message.Sequence} attributed to {message.Sender} was refused: {message.Problem}");
            }
            else if (message.SenderTrust == ContactTrust.Changed && warned.Add(message.Sender))
            {
                WriteWarning($"The keys of '{message.Sender}' CHANGED since you first saw them (a new device or a new certificate). Compare safety numbers (Get-ChatContact {message.Sender}) before trusting them, then Confirm-ChatContact {message.Sender}.");
            }

            WriteObject(new ChatMessage(message));
        }
    }

    private static List<SecureMessage> Take(ChatSession session, WildcardPattern? pattern)
    {
        lock (session.Held)
        {
            var matching = session.Held.Where(m => pattern is null || pattern.IsMatch(m.Room)).ToList();
            session.Held.RemoveAll(matching.Contains);
            return matching;
        }
    }
}
