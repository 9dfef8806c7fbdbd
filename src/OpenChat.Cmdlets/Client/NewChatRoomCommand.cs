using System.Management.Automation;
using OpenChat.Engine.Protocol;

namespace OpenChat.Cmdlets.Client;

/// <summary>Creates rooms on purpose (joining them as their first member). A room that exists is
/// refused with RoomExists rather than joined: "new" that quietly joins someone else's room would
/// hide a name clash; Join-ChatRoom -Create is the form that accepts either.</summary>
[Cmdlet(VerbsCommon.New, "ChatRoom", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatRoom))]
public sealed class NewChatRoomCommand : SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Room")]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>Only users an admin adds (Add-ChatRoomMember) may join the room's encryption.</summary>
    [Parameter]
    public SwitchParameter Private { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        foreach (var given in Name)
        {
            var name = RoomNames.Normalize(given);
            if (!ShouldProcess(name, Private ? "Create private room" : "Create room"))
            {
                continue;
            }

            try
            {
                var created = AwaitCatchingUp(session.Secure, name, token => session.Secure.CreateRoomAsync(name, Private.IsPresent, token));
                WriteObject(new ChatRoom(created.Name, created.Kind, created.LastSequence, session));
            }
            catch (Exception e) when (IsPerInput(e))
            {
                WriteFailure(e, name);
            }
        }
    }
}
