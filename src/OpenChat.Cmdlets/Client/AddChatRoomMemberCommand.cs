using System.Management.Automation;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Client;

/// <summary>Adds users to a room's policy (an admin's signed change every member's client checks):
/// in a private room only users added so may join its encryption, which they do by entering it.</summary>
[Cmdlet(VerbsCommon.Add, "ChatRoomMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class AddChatRoomMemberCommand : RoomMemberChangeCmdlet
{
    [Parameter]
    [ValidateSet(RoomRoleNames.Member, RoomRoleNames.Admin)]
    public string Role { get; set; } = RoomRoleNames.Member;

    private protected override string Action => $"Add as {Role}";

    private protected override Task ApplyAsync(ChatSession session, string user, CancellationToken token) =>
        session.Secure.AddMemberAsync(Room, user, RoomRoleNames.Parse(Role), token);
}
