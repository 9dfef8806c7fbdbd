using System.Management.Automation;
using OpenChat.Cmdlets.Completion;
using OpenChat.Engine;

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

    protected override void ProcessRecord()
    {
        if (string.IsNullOrWhiteSpace(Message))
        {
            return; // blank lines from a file are not messages
        }

        var session = ResolveSession();
        try
        {
            _target ??= To is not null
                ? Await(token => session.Secure.OpenDirectAsync(To, token)).Name
                : Room ?? DefaultRoom(session);
            var target = _target;
            if (!ShouldProcess(target, $"Send message ({Message.Length} characters)"))
            {
                return;
            }

            var sequence = Await(token => session.Secure.SendAsync(target, Message, token));
            if (PassThru)
            {
                WriteObject(new SentChatMessage(target, sequence, Message));
            }
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, Room ?? To);
        }
    }

    private string DefaultRoom(ChatSession session)
    {
        var rooms = session.Rooms;
        return rooms.Length == 1
            ? rooms[0]
            : throw new OpenChatException(ErrorIds.RoomNotFound, ErrorKind.InvalidArgument, rooms.Length == 0
                ? "The session has joined no room. Give -Room or -To, or join one with Join-ChatRoom."
                : $"The session is in several rooms ({string.Join(", ", rooms)}). Say which with -Room.");
    }
}

/// <summary>What Send-ChatMessage -PassThru returns.</summary>
public sealed class SentChatMessage(string room, ulong sequence, string text)
{
    public string Room { get; } = room;

    public ulong Sequence { get; } = sequence;

    public string Text { get; } = text;
}
