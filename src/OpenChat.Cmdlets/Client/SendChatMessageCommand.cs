using System.Management.Automation;
using OpenChat.Cmdlets.Completion;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Protocol;

namespace OpenChat.Cmdlets.Client;

/// <summary>Sends each input as one end-to-end encrypted, signed message.</summary>
[Cmdlet(VerbsCommunications.Send, "ChatMessage", DefaultParameterSetName = "Room", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(SentChatMessage))]
public sealed class SendChatMessageCommand : SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyString]
    [Alias("Text")]
    public string Message { get; set; } = "";

    [Parameter(ParameterSetName = "Room")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RoomCompleter))]
    public string? Room { get; set; }

    /// <summary>Sends a direct message to this user instead of a room.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Direct")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string? To { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private string? _target;
    private bool _warnedPending;

    protected override void ProcessRecord()
    {
        if (string.IsNullOrWhiteSpace(Message))
        {
            return; // blank lines from a file are not messages
        }

        var session = ResolveSession();
        try
        {
            _target ??= ResolveTarget(session, Room, To);
            var target = _target;
            if (!ShouldProcess(target, $"Send message ({Message.Length} characters)"))
            {
                return;
            }

            // Kept (saved, encrypted) before anything else; then either the server has it, or it
            // cannot go now and waits in the outbox: returned at once as pending.
            var outgoing = session.Secure.Queue(target, Message);
            Await(token => Task.WhenAny(outgoing.Delivered, outgoing.Deferred).WaitAsync(token));
            if (outgoing.Delivered.IsCompleted)
            {
                outgoing.Delivered.GetAwaiter().GetResult(); // a refusal is this input's error
            }
            else if (!_warnedPending)
            {
                _warnedPending = true;
                WriteWarning(outgoing.WaitingFor is { } peer
                    ? $"{TerminalText.Neutralise(peer)} has no device in this conversation's encryption yet (they have not been online since it was opened): the message is kept, encrypted, in the outbox and sent by itself, in order, as soon as one of their devices joins, which it does when they next connect ({session.PendingMessages} pending; see Get-ChatSession)."
                    : $"The server cannot take messages right now (the session is {session.State}): the message is kept, encrypted, in the outbox and sent by itself, in order, once it can go ({session.PendingMessages} pending; see Get-ChatSession).");
            }

            if (PassThru)
            {
                WriteObject(new SentChatMessage(outgoing));
            }
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, Room ?? To);
        }
    }
}

/// <summary>What Send-ChatMessage -PassThru returns. State, Sequence and Problem follow the
/// message: a Pending one becomes Sent (with its Sequence) once the server has stored it.</summary>
public sealed class SentChatMessage
{
    private readonly OutgoingMessage _outgoing;

    internal SentChatMessage(OutgoingMessage outgoing) => _outgoing = outgoing;

    public string Room => _outgoing.Room;

    /// <summary>The room's sequence number; empty while the message is pending.</summary>
    public ulong? Sequence => _outgoing.Sequence;

    public string Text => _outgoing.Text;

    /// <summary>Sent (stored by the server), Pending (kept in the outbox until the session is
    /// connected, or until WaitingFor has joined) or Failed (refused for good; see Problem).</summary>
    public OutgoingState State => _outgoing.State;

    /// <summary>While Pending because the other person of a direct conversation has no device in
    /// it yet (never online since it was opened): their user name; empty otherwise.</summary>
    public string? WaitingFor => _outgoing.WaitingFor;

    /// <summary>The same id on every resend, so the server stores the message once.</summary>
    public Guid MessageId => _outgoing.MessageId;

    public DateTimeOffset QueuedAt => _outgoing.QueuedAt;

    public string? Problem => _outgoing.Error is { } e ? $"{e.ErrorId}: {e.Message}" : null;

    public override string ToString() => $"[{Room}] {Text} ({State}{(WaitingFor is { } peer ? $", waiting for {peer}" : "")})";
}
