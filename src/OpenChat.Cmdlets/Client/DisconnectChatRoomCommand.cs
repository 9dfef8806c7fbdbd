using System.Management.Automation;

namespace OpenChat.Cmdlets.Client;

[Cmdlet(VerbsCommunications.Disconnect, "ChatRoom", DefaultParameterSetName = "Session")]
[OutputType(typeof(ChatSession))]
public sealed class DisconnectChatRoomCommand : ChatCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ParameterSetName = "Session")]
    public ChatSession[]? Session { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        IReadOnlyList<ChatSession> sessions = All ? SessionRegistry.All() : Session ?? (SessionRegistry.Default() is { } d ? [d] : []);
        foreach (var session in sessions)
        {
            Await(_ => session.Secure.DisposeAsync().AsTask());
            SessionRegistry.Remove(session);
            if (PassThru)
            {
                WriteObject(session);
            }
        }
    }
}
