using Microsoft.Extensions.Logging;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Client;

/// <summary>Whether this device's user may join a room's encrypted group under its verified
/// policy, checked before anything is published: every member would refuse the join of a user a
/// private room does not name, or of one an admin removed, so it is explained here instead.</summary>
internal static class RoomAdmission
{
    public static void ThrowUnlessAdmitted(RoomGroup group, ILogger log)
    {
        var (mayJoin, removed) = group.Read(s => (s.MayJoin || s.IsMember, s.OwnRole == Group.RoomRole.Removed));
        if (mayJoin)
        {
            return;
        }

        var room = UserNamePolicy.Printable(group.Room);
        var refusal = !removed
            ? new OpenChatException(ErrorIds.NotInPrivateRoom, ErrorKind.PolicyViolation,
                $"'{room}' is a private room and no admin has added you: ask an admin to add you (Add-ChatRoomMember -Room {room} -User <you>), then enter it again.")
            : new OpenChatException(ErrorIds.RemovedFromRoom, ErrorKind.PolicyViolation,
                $"An admin removed you from '{room}': you cannot join its encryption again until an admin adds you back (Add-ChatRoomMember).");
        RoomRolesLog.JoinNotAllowed(log, group.Room, refusal.ErrorId);
        throw refusal;
    }
}
