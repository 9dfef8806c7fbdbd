using System.Management.Automation;
using System.Net;
using System.Security;
using OpenChat.Engine.Server;
using EngineServer = OpenChat.Engine.Server.ChatServer;

namespace OpenChat.Cmdlets.Server;

[Cmdlet(VerbsLifecycle.Start, "ChatServer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatServer))]
public sealed class StartChatServerCommand : ChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>0 picks a free port.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; } = Engine.Pki.ServerNames.DefaultPort;

    [Parameter]
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>host:port clients should dial, recorded for New-ChatInvite.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AdvertisedAddress { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    public SecureString? CAPassword { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxConnections { get; set; } = 25_000;

    [Parameter]
    [ValidateRange(1, 100_000)]
    public int MaxEnrollmentConnections { get; set; } = 100;

    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path);
        if (!ShouldProcess($"{Address}:{Port} serving '{path}'", "Start chat server"))
        {
            return;
        }

        if (!IPAddress.IsLoopback(Address))
        {
            WriteWarning($"The server will accept connections from the network on {Address}. Clients still need a certificate from this CA.");
        }

        var password = PasswordChars(CAPassword);
        EngineServer engine;
        try
        {
            var options = new ChatServerOptions
            {
                Address = Address,
                Port = Port,
                MaxConnections = MaxConnections,
                MaxEnrollmentConnections = MaxEnrollmentConnections,
                AdvertisedAddress = AdvertisedAddress,
                CaPassword = password.Length == 0 ? null : new string(password),
            };
            engine = Await(_ => EngineServer.StartAsync(path, options));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, path);
            return;
        }
        finally
        {
            Array.Clear(password);
        }

        var server = new ChatServer(engine);
        ServerRegistry.Add(server);
        WriteVerbose($"Serving {path} on {server.Endpoint}; CA fingerprint {server.CaFingerprint}.");
        if (!Wait)
        {
            WriteObject(server);
            return;
        }

        // The object is written when serving ends; until then the host says what is going on.
        Host.UI.WriteLine($"Serving '{path}' on {server.Endpoint} (CA {server.CaFingerprint}). Press Ctrl+C to stop.");
        try
        {
            // Serves in the foreground until Ctrl+C (StopProcessing cancels the token).
            engine.Completion.Wait(CancelToken);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            engine.StopAsync().GetAwaiter().GetResult();
            ServerRegistry.Remove(server);
        }

        WriteObject(server);
    }
}
