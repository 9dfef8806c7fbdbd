using System.Management.Automation;
using OpenChat.Cmdlets.Completion;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Client;

/// <summary>What Add-, Remove- and Set-ChatRoomMember share: a room, users from the pipeline, one
/// admin-signed change per user, and a failure for one user that does not stop the others.</summary>
public abstract class RoomMemberChangeCmdlet : SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RoomCompleter))]
    public string Room { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("UserName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string[] User { get; set; } = [];

    /// <summary>The ShouldProcess action text for one user.</summary>
    private protected abstract string Action { get; }

    /// <summary>Signs and sends the change for one user.</summary>
    private protected abstract Task ApplyAsync(ChatSession session, string user, CancellationToken token);

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        foreach (var user in User)
        {
            if (!ShouldProcess($"{user} in room '{Room}'", Action))
            {
                continue;
            }

            try
            {
                Await(token => ApplyAsync(session, user, token));
            }
            catch (Exception e) when (IsPerInput(e))
            {
                WriteFailure(e, user);
            }
        }
    }
}
