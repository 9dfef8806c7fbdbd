using System.Management.Automation;
using OpenChat.Cmdlets.Completion;
using OpenChat.Engine.Protocol;

namespace OpenChat.Cmdlets.Client;

/// <summary>Joins existing rooms (with -Create, creating those that do not exist yet) or, with
/// -User, opens a direct conversation.</summary>
[Cmdlet(VerbsCommon.Join, "ChatRoom", DefaultParameterSetName = "Room", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatRoom))]
public sealed class JoinChatRoomCommand : SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Room")]
    [ValidateNotNullOrEmpty]
    public string[] Room { get; set; } = [];

    /// <summary>Creates a room that does not exist yet instead of refusing it (RoomNotFound).</summary>
    [Parameter(ParameterSetName = "Room")]
    public SwitchParameter Create { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Direct")]
    [Alias("To")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string[] User { get; set; } = [];

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        foreach (var given in ParameterSetName == "Direct" ? User : Room)
        {
            var name = ParameterSetName == "Direct" ? given : RoomNames.Normalize(given);
            if (!ShouldProcess(name, ParameterSetName == "Direct" ? "Open a direct conversation" : Create ? "Join room (creating it if new)" : "Join room"))
            {
                continue;
            }

            try
            {
                var joined = ParameterSetName == "Direct"
                    ? Await(token => session.Secure.OpenDirectAsync(name, token))
                    : AwaitCatchingUp(session.Secure, name, token => Create
                        ? session.Secure.EnterOrCreateAsync(name, token)
                        : session.Secure.EnterAsync(name, token));
                WriteObject(new ChatRoom(joined.Name, joined.Kind, joined.LastSequence, session));
            }
            catch (Exception e) when (IsPerInput(e))
            {
                WriteFailure(e, name);
            }
        }
    }
}
