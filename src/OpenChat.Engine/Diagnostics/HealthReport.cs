using System.Text.Json;

namespace OpenChat.Engine.Diagnostics;

/// <summary>One check of a health report: whether it passed and, when it did not, why.</summary>
public sealed record HealthCheck(bool Healthy, string Detail);

/// <summary>What <c>/healthz</c> and <c>Test-ChatServer</c> report: healthy when every check passed.</summary>
public sealed record HealthReport(bool Healthy, IReadOnlyDictionary<string, HealthCheck> Checks)
{
    /// <summary>How long one check may take before it counts as failed (a database that does not
    /// answer must not hold the probe until the prober gives up without a reason).</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Runs each named check (it throws when what it checks is not working); a check that
    /// throws or takes longer than <see cref="CheckTimeout"/> fails with the reason.</summary>
    public static HealthReport Run(IEnumerable<(string Name, Action Check)> checks)
    {
        var results = new SortedDictionary<string, HealthCheck>(StringComparer.Ordinal);
        var running = checks.Select(c => (c.Name, Task: Task.Run(c.Check))).ToList();
        foreach (var (name, task) in running)
        {
            results[name] = Outcome(task);
        }

        return new HealthReport(results.Values.All(c => c.Healthy), results);
    }

    private static HealthCheck Outcome(Task task)
    {
        try
        {
            return task.Wait(CheckTimeout)
                ? new HealthCheck(true, "ok")
                : new HealthCheck(false, $"no answer within {CheckTimeout.TotalSeconds:0} s");
        }
        catch (AggregateException e) when (e.InnerException is { } inner)
        {
            // The reason is the report's whole point: it is shown, not logged away.
            return new HealthCheck(false, $"{inner.GetType().Name}: {inner.Message}");
        }
    }

    /// <summary>The JSON body of <c>/healthz</c>: <c>{"status":"ok"|"failing","checks":{name:{"status":..,"detail":..}}}</c>.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", Healthy ? "ok" : "failing");
            json.WriteStartObject("checks");
            foreach (var (name, check) in Checks)
            {
                json.WriteStartObject(name);
                json.WriteString("status", check.Healthy ? "ok" : "failing");
                json.WriteString("detail", check.Detail);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads a body written by <see cref="ToJson"/> (a server in another process, through its URI).</summary>
    public static HealthReport FromJson(string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var checks = new SortedDictionary<string, HealthCheck>(StringComparer.Ordinal);
        if (root.TryGetProperty("checks", out var list))
        {
            foreach (var check in list.EnumerateObject())
            {
                checks[check.Name] = new HealthCheck(check.Value.GetProperty("status").GetString() == "ok", check.Value.GetProperty("detail").GetString() ?? "");
            }
        }

        return new HealthReport(root.GetProperty("status").GetString() == "ok", checks);
    }
}
