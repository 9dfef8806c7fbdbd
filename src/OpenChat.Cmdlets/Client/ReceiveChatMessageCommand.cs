using System.Management.Automation;
using OpenChat.Cmdlets.Completion;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Client;

/// <summary>Writes received messages as objects: those waiting now, or with -Wait as they arrive.</summary>
[Cmdlet(VerbsCommunications.Receive, "ChatMessage")]
[OutputType(typeof(ChatMessage))]
public sealed class ReceiveChatMessageCommand : SessionCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(RoomCompleter))]
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

    /// <summary>Also output membership notices (joins, removals, key rotations) as objects.</summary>
    [Parameter]
    public SwitchParameter IncludeNotice { get; set; }

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

        // A short grace without -Wait lets the session finish catching up after a connect.
        var idle = TimeSpan.FromMilliseconds(Timeout >= 0 && !Wait ? Timeout * 1000 : 300);
        while (written < Count)
        {
            SecureMessage message;
            try
            {
                // Messages of other rooms stay queued in the session (and saved) for a later call.
                Func<SecureMessage, bool>? filter = pattern is null ? null : m => pattern.IsMatch(m.Room);
                if (Wait)
                {
                    message = session.Secure.ReceiveAsync(deadline.Token, filter).AsTask().GetAwaiter().GetResult();
                }
                else
                {
                    using var quiet = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                    quiet.CancelAfter(idle);
                    message = session.Secure.ReceiveAsync(quiet.Token, filter).AsTask().GetAwaiter().GetResult();
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

            if (message.IsNotice && !IncludeNotice)
            {
                // Membership changes are never silent: they go to the information stream.
                WriteInformation(new InformationRecord(Shown($"[{message.Room}] {NoticeText.Of(message)}"), "OpenChat.Notice"));
                if (NoticeText.IsLoud(message.Notice))
                {
                    // A device nobody verified entered the room, or someone was removed: a warning too.
                    WriteWarning(Shown($"[{message.Room}] {NoticeText.Of(message)}"));
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
                WriteWarning(Shown($"A {message.Room} event #{message.Sequence} attributed to {message.Sender} was refused: {message.Problem}"));
            }
            else if (message.SenderTrust == ContactTrust.Changed && warned.Add(message.Sender))
            {
                WriteWarning(Shown(message.IsOwn
                    ? $"Another device is sending as you ('{message.Sender}'), one that appeared after your first devices. If it is not yours, the server's CA issued it behind your back: tell the admin. If it is yours, Confirm-ChatContact {message.Sender}."
                    : $"The keys of '{message.Sender}' CHANGED since you first saw them (a new device or a new certificate). Compare safety numbers (Get-ChatContact {message.Sender}) before trusting them, then Confirm-ChatContact {message.Sender}."));
            }

            WriteObject(new ChatMessage(message));
        }
    }

    // Warnings and notices quote names and reasons from others: shown neutralised.
    private static string Shown(string text) => Engine.TerminalText.Neutralise(text);
}
