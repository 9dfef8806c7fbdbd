using System.Management.Automation;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Client;

/// <summary>Cmdlets that act through a chat session: -Session, else the newest open one.</summary>
public abstract class SessionCmdlet : ChatCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public ChatSession? Session { get; set; }

    protected ChatSession ResolveSession()
    {
        var session = Session ?? SessionRegistry.Default();
        if (session is null)
        {
            ThrowFailure(new OpenChatException(ErrorIds.NotConnected, ErrorKind.InvalidOperation,
                "There is no open chat session. Connect first with Connect-ChatRoom."), null);
        }

        return session!;
    }
}
