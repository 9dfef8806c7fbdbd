using System.Management.Automation;

namespace OpenChat.Cmdlets.Client;

[Cmdlet(VerbsCommon.Get, "ChatRoom")]
[OutputType(typeof(ChatRoom))]
public sealed class GetChatRoomCommand : SessionCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string? Name { get; set; }

    /// <summary>Only rooms the user is a member of.</summary>
    [Parameter]
    public SwitchParameter Joined { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        var pattern = Name is null ? null : new WildcardPattern(Name, WildcardOptions.IgnoreCase);
        try
        {
            foreach (var room in Await(token => session.Client.ListRoomsAsync(token)))
            {
                if ((pattern is null || pattern.IsMatch(room.Name)) && (!Joined || room.Joined))
                {
                    WriteObject(new ChatRoom(room, session));
                }
            }
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, session);
        }
    }
}
