using System.Management.Automation;
using OpenChat.Cmdlets.Completion;

namespace OpenChat.Cmdlets.Client;

/// <summary>Joins rooms (creating them if new) or, with -User, opens a direct conversation.</summary>
[Cmdlet(VerbsCommon.Join, "ChatRoom", DefaultParameterSetName = "Room", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatRoom))]
public sealed class JoinChatRoomCommand : SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Room")]
    [ValidateNotNullOrEmpty]
    public string[] Room { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "Direct")]
    [Alias("To")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string[] User { get; set; } = [];

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        foreach (var name in ParameterSetName == "Direct" ? User : Room)
        {
            if (!ShouldProcess(name, ParameterSetName == "Direct" ? "Open a direct conversation" : "Join room (creating it if new)"))
            {
                continue;
            }

            try
            {
                var joined = ParameterSetName == "Direct"
                    ? Await(token => session.Secure.OpenDirectAsync(name, token))
                    : AwaitCatchingUp(session.Secure, name, token => session.Secure.EnterAsync(name, token));
                WriteObject(new ChatRoom(joined.Name, joined.Kind, joined.LastSequence, session));
            }
            catch (Exception e) when (IsPerInput(e))
            {
                WriteFailure(e, name);
            }
        }
    }
}
