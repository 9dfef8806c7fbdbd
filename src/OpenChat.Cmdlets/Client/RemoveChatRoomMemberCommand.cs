using System.Management.Automation;
using OpenChat.Cmdlets.Completion;

namespace OpenChat.Cmdlets.Client;

/// <summary>Removes users from a room (a kick, by an admin): they are marked Removed and their
/// devices leave the encryption in the same signed commit, so they read nothing sent afterwards.</summary>
[Cmdlet(VerbsCommon.Remove, "ChatRoomMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveChatRoomMemberCommand : SessionCmdlet
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

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        foreach (var user in User)
        {
            if (!ShouldProcess($"{user} in room '{Room}'", "Remove from the room and its encryption"))
            {
                continue;
            }

            try
            {
                Await(token => session.Secure.RemoveMemberAsync(Room, user, token));
            }
            catch (Exception e) when (IsPerInput(e))
            {
                WriteFailure(e, user);
            }
        }
    }
}
