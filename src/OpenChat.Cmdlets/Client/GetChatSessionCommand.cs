using System.Management.Automation;

namespace OpenChat.Cmdlets.Client;

[Cmdlet(VerbsCommon.Get, "ChatSession")]
[OutputType(typeof(ChatSession))]
public sealed class GetChatSessionCommand : ChatCmdlet
{
    [Parameter(Position = 0)]
    public int[]? Id { get; set; }

    protected override void EndProcessing()
    {
        foreach (var session in SessionRegistry.All())
        {
            if (Id is null || Id.Contains(session.Id))
            {
                WriteObject(session);
            }
        }
    }
}
