using System.Management.Automation;
using OpenChat.Cmdlets.Completion;

namespace OpenChat.Cmdlets.Client;

/// <summary>Changes the role of users a room's policy names (an admin's signed change): Admin
/// may add, remove and change the role of others; the room always keeps one admin.</summary>
[Cmdlet(VerbsCommon.Set, "ChatRoomMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class SetChatRoomMemberCommand : SessionCmdlet
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

    [Parameter(Mandatory = true)]
    [ValidateSet(RoomRoleNames.Member, RoomRoleNames.Admin)]
    public string Role { get; set; } = "";

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        foreach (var user in User)
        {
            if (!ShouldProcess($"{user} in room '{Room}'", $"Set role {Role}"))
            {
                continue;
            }

            try
            {
                Await(token => session.Secure.SetMemberRoleAsync(Room, user, RoomRoleNames.Parse(Role), token));
            }
            catch (Exception e) when (IsPerInput(e))
            {
                WriteFailure(e, user);
            }
        }
    }
}
