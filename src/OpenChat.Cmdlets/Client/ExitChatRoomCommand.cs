using System.Management.Automation;
using OpenChat.Cmdlets.Completion;

namespace OpenChat.Cmdlets.Client;

/// <summary>Leaves rooms for good: membership ends and the room's history is no longer served.</summary>
[Cmdlet(VerbsCommon.Exit, "ChatRoom", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class ExitChatRoomCommand : SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RoomCompleter))]
    public string[] Room { get; set; } = [];

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        foreach (var room in Room)
        {
            if (!ShouldProcess($"room '{room}' as {session.UserName}", "Leave"))
            {
                continue;
            }

            try
            {
                Await(token => session.Secure.LeaveAsync(room, token));
            }
            catch (Exception e) when (IsPerInput(e))
            {
                WriteFailure(e, room);
            }
        }
    }
}
