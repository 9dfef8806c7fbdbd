using System.Management.Automation;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Client;

/// <summary>Removes users from a room (a kick, by an admin): they are marked Removed and their
/// devices leave the encryption in the same signed commit, so they read nothing sent afterwards.</summary>
[Cmdlet(VerbsCommon.Remove, "ChatRoomMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveChatRoomMemberCommand : RoomMemberChangeCmdlet
{
    private protected override string Action => "Remove from the room and its encryption";

    private protected override Task ApplyAsync(ChatSession session, string user, CancellationToken token) =>
        session.Secure.RemoveMemberAsync(Room, user, token);
}
