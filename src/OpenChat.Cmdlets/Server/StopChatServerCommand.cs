using System.Management.Automation;

namespace OpenChat.Cmdlets.Server;

[Cmdlet(VerbsLifecycle.Stop, "ChatServer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Server")]
[OutputType(typeof(ChatServer))]
public sealed class StopChatServerCommand : ChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Server")]
    public ChatServer[] Server { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var server in All ? ServerRegistry.All() : [.. Server])
        {
            if (!ShouldProcess(server.ToString(), "Stop chat server"))
            {
                continue;
            }

            Await(_ => server.StopAsync());
            ServerRegistry.Remove(server);
            if (PassThru)
            {
                WriteObject(server);
            }
        }
    }
}
