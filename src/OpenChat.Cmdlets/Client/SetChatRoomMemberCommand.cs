using System.Management.Automation;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Client;

/// <summary>Changes the role of users a room's policy names (an admin's signed change): Admin
/// may add, remove and change the role of others; the room always keeps one admin.</summary>
[Cmdlet(VerbsCommon.Set, "ChatRoomMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class SetChatRoomMemberCommand : RoomMemberChangeCmdlet
{
    [Parameter(Mandatory = true)]
    [ValidateSet(RoomRoleNames.Member, RoomRoleNames.Admin)]
    public string Role { get; set; } = "";

    private protected override string Action => $"Set role {Role}";

    private protected override Task ApplyAsync(ChatSession session, string user, CancellationToken token) =>
        session.Secure.SetMemberRoleAsync(Room, user, RoomRoleNames.Parse(Role), token);
}
