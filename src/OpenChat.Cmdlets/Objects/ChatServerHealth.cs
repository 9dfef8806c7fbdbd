using OpenChat.Engine.Diagnostics;

namespace OpenChat;

/// <summary>One check of a server's health: what was checked, whether it passed, and why not.</summary>
public sealed record ChatHealthCheck(string Name, bool Healthy, string Detail);

/// <summary>What Test-ChatServer reports for one server: healthy when every check passed.</summary>
public sealed class ChatServerHealth
{
    internal ChatServerHealth(string server, HealthReport report)
    {
        Server = server;
        Healthy = report.Healthy;
        Checks = [.. report.Checks.Select(c => new ChatHealthCheck(c.Key, c.Value.Healthy, c.Value.Detail))];
    }

    /// <summary>The data directory of a server in this session, or the URI that was asked.</summary>
    public string Server { get; }

    public bool Healthy { get; }

    /// <summary>listener, store, and database and bus where configured (endpoint, for a URI that did not answer).</summary>
    public IReadOnlyList<ChatHealthCheck> Checks { get; }

    /// <summary>The checks that failed, as "name: reason" (empty when healthy).</summary>
    public string[] Failing => [.. Checks.Where(c => !c.Healthy).Select(c => $"{c.Name}: {c.Detail}")];

    public override string ToString() => Healthy ? $"{Server}: healthy" : $"{Server}: {string.Join("; ", Failing)}";
}
