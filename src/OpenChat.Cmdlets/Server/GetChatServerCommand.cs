using System.Management.Automation;

namespace OpenChat.Cmdlets.Server;

[Cmdlet(VerbsCommon.Get, "ChatServer")]
[OutputType(typeof(ChatServer))]
public sealed class GetChatServerCommand : ChatCmdlet
{
    /// <summary>Only the server of this data directory.</summary>
    [Parameter(Position = 0)]
    public string? Path { get; set; }

    protected override void EndProcessing()
    {
        var path = Path is null ? null : ResolvePath(Path).TrimEnd(System.IO.Path.DirectorySeparatorChar);
        foreach (var server in ServerRegistry.All())
        {
            if (path is null || string.Equals(server.Path.TrimEnd(System.IO.Path.DirectorySeparatorChar), path, StringComparison.Ordinal))
            {
                WriteObject(server);
            }
        }
    }
}
