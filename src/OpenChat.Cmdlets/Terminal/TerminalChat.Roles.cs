using OpenChat.Engine;
using OpenChat.Engine.Group;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>The room's admin commands: /add, /kick, /op and /deop, each an admin's signed change
/// of the room on screen (the engine refuses it, with the reason, when this user is not an admin).</summary>
internal sealed partial class TerminalChat
{
    internal const string RoleHelp = "/create ROOM private makes a room only users an admin adds may join; its creator is its first admin. "
        + "Admins: /add USER [admin] adds a user (in a private room only added users may join)  "
        + "/kick USER removes a user and their devices from the room's encryption  /op USER makes a user an admin  /deop USER makes an admin a member. "
        + "/who marks admins with @.";

    private void RoleCommand(string[] parts)
    {
        var command = parts[0].ToLowerInvariant();
        if (_room is null || parts.Length < 2)
        {
            Notice(_room is null ? "You are in no room. /join ROOM enters one." : $"{command} USER: {RoleHelp}");
            return;
        }

        var user = parts[1];
        var shown = TerminalText.Neutralise(user);
        var word = parts.Length == 3 ? parts[2].Trim() : null;
        if (word is not null && !(command == "/add" && (word.Equals("admin", StringComparison.OrdinalIgnoreCase) || word.Equals("member", StringComparison.OrdinalIgnoreCase))))
        {
            // A typo must not give a role other than the one meant: nothing is changed.
            Notice($"{command}: '{TerminalText.Neutralise(word)}' is not understood; nothing was changed. {RoleHelp}");
            return;
        }

        switch (command)
        {
            case "/add":
                var role = string.Equals(word, "admin", StringComparison.OrdinalIgnoreCase) ? RoomRole.Admin : RoomRole.Member;
                Await(_secure.AddMemberAsync(_room, user, role, stop));
                Notice($"Added {shown} to {_room}{(role == RoomRole.Admin ? " as an admin" : "")}.");
                break;
            case "/kick":
                Await(_secure.RemoveMemberAsync(_room, user, stop));
                Notice($"Removed {shown} from {_room}: their devices are out of its encryption.");
                break;
            case "/op":
                Await(_secure.SetMemberRoleAsync(_room, user, RoomRole.Admin, stop));
                Notice($"{shown} is now an admin of {_room}.");
                break;
            default:
                Await(_secure.SetMemberRoleAsync(_room, user, RoomRole.Member, stop));
                Notice($"{shown} is now a member (not an admin) of {_room}.");
                break;
        }
    }
}
