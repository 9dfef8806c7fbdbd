using System.Management.Automation;
using OpenChat.Cmdlets.Completion;

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
            foreach (var member in Await(token => session.Client.ListMembersAsync(Room, token)))
            {
                WriteObject(new ChatRoomMember(Room, member, encrypted.Contains(member.UserName)));
            }
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, Room);
        }
    }
}
