using System.Management.Automation;
using OpenChat.Cmdlets.Completion;

namespace OpenChat.Cmdlets.Client;

/// <summary>Adds users to a room's policy (an admin's signed change every member's client checks):
/// in a private room only users added so may join its encryption, which they do by entering it.</summary>
[Cmdlet(VerbsCommon.Add, "ChatRoomMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class AddChatRoomMemberCommand : SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RoomCompleter))]
    public string Room { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("UserName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string[] User { get; set; } = [];

    [Parameter]
    [ValidateSet(RoomRoleNames.Member, RoomRoleNames.Admin)]
    public string Role { get; set; } = RoomRoleNames.Member;

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        foreach (var user in User)
        {
            if (!ShouldProcess($"{user} in room '{Room}'", $"Add as {Role}"))
            {
                continue;
            }

            try
            {
                Await(token => session.Secure.AddMemberAsync(Room, user, RoomRoleNames.Parse(Role), token));
            }
            catch (Exception e) when (IsPerInput(e))
            {
                WriteFailure(e, user);
            }
        }
    }
}
