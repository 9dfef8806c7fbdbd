using System.Management.Automation;
using OpenChat.Cmdlets.Completion;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Cmdlets.Client;

[Cmdlet(VerbsCommon.Get, "ChatRoomMember")]
[OutputType(typeof(ChatRoomMember))]
public sealed class GetChatRoomMemberCommand : SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RoomCompleter))]
    public string Room { get; set; } = "";

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        try
        {
            var encrypted = session.Secure.GroupMembers(Room).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var roles = session.Secure.MemberRoles(Room).ToDictionary(r => r.UserName, r => r.Role, StringComparer.OrdinalIgnoreCase);
            var listed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var member in Await(token => session.Client.ListMembersAsync(Room, token)))
            {
                listed.Add(member.UserName);
                WriteObject(new ChatRoomMember(Room, member, encrypted.Contains(member.UserName), roles.GetValueOrDefault(member.UserName)));
            }

            // In a private room, users an admin added who have not joined on the server yet (or left
            // it): the room's policy names them, and being named is what lets them in. In an open
            // room the policy only gives present members their roles.
            var isPrivate = session.Secure.IsPrivateRoom(Room);
            foreach (var (user, role) in roles.Where(r => isPrivate && r.Value is RoomRole.Member or RoomRole.Admin && !listed.Contains(r.Key)))
            {
                WriteObject(new ChatRoomMember(Room, new MemberInfo(user, false, null), false, role));
            }
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, Room);
        }
    }
}
