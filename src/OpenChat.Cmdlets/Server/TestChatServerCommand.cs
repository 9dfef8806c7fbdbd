using System.Management.Automation;
using OpenChat.Engine;
using OpenChat.Engine.Diagnostics;

namespace OpenChat.Cmdlets.Server;

/// <summary>Checks a server's health: one in this session (by data directory or object), or
/// one in another process through its /healthz endpoint.</summary>
[Cmdlet(VerbsDiagnostic.Test, "ChatServer", DefaultParameterSetName = "Path")]
[OutputType(typeof(ChatServerHealth))]
public sealed class TestChatServerCommand : ChatCmdlet
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>The data directory of a server started in this session; every such server without it.</summary>
    [Parameter(Position = 0, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Server")]
    public ChatServer[] Server { get; set; } = [];

    /// <summary>The metrics endpoint of a server in another process (http://127.0.0.1:9464); /healthz is asked.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Uri")]
    public Uri? Uri { get; set; }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case "Uri":
                WriteObject(Ask(Uri!));
                break;
            case "Server":
                foreach (var server in Server)
                {
                    WriteObject(new ChatServerHealth(server.Path, server.Engine.CheckHealth()));
                }

                break;
            default:
                TestInSession();
                break;
        }
    }

    private void TestInSession()
    {
        var path = Path is null ? null : ResolvePath(Path).TrimEnd(System.IO.Path.DirectorySeparatorChar);
        var servers = ServerRegistry.All()
            .Where(s => path is null || string.Equals(s.Path.TrimEnd(System.IO.Path.DirectorySeparatorChar), path, StringComparison.Ordinal))
            .ToList();
        if (servers.Count == 0)
        {
            WriteFailure(new OpenChatException(ErrorIds.ServerNotRunning, ErrorKind.NotFound, path is null
                ? "No chat server is running in this PowerShell session. For a server in another process, use -Uri with its metrics endpoint (Start-ChatServer -MetricsPort)."
                : $"No chat server of '{path}' is running in this PowerShell session. For a server in another process, use -Uri with its metrics endpoint (Start-ChatServer -MetricsPort)."), path);
            return;
        }

        foreach (var server in servers)
        {
            WriteObject(new ChatServerHealth(server.Path, server.Engine.CheckHealth()));
        }
    }

    // A server that does not answer is unhealthy, not an error: this is what a monitor asks.
    private ChatServerHealth Ask(Uri uri)
    {
        var health = new Uri(uri, uri.AbsolutePath.TrimEnd('/').EndsWith("/healthz", StringComparison.Ordinal) ? uri.AbsolutePath : uri.AbsolutePath.TrimEnd('/') + "/healthz");
        try
        {
            using var response = Await(token => Http.GetAsync(health, token));
            var body = Await(token => response.Content.ReadAsStringAsync(token));
            return new ChatServerHealth(health.ToString(), HealthReport.FromJson(body));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            var failed = new HealthReport(false, new Dictionary<string, HealthCheck> { ["endpoint"] = new(false, $"{e.GetType().Name}: {e.Message}") });
            return new ChatServerHealth(health.ToString(), failed);
        }
    }
}
