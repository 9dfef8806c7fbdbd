using System.Globalization;
using System.Net.Http;

namespace OpenChat.Bench;

/// <summary>
/// The server's group-commit stage over one phase, read from its /metrics endpoint before and
/// after: how many commits, how many publishes each, and how long the store took (the
/// duration histogram's buckets). It separates the time a message waits for the disk and the
/// database from the rest of its latency (fan-out, the receivers, the machine's scheduling).
/// </summary>
internal sealed class CommitStage
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly Dictionary<string, double> _values;

    private CommitStage(Dictionary<string, double> values) => _values = values;

    public static async Task<CommitStage> ReadAsync(int metricsPort)
    {
        var text = await Http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("openchat_commit_", StringComparison.Ordinal))
            {
                continue;
            }

            // name{node="…",le="0.001"} value: keyed by the name and the bucket bound alone.
            var space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                var brace = line.IndexOf('{');
                var name = brace > 0 ? line[..brace] : line[..space];
                var le = line.IndexOf("le=\"", StringComparison.Ordinal);
                values[le > 0 ? $"{name}{{le=\"{line[(le + 4)..line.IndexOf('"', le + 4)]}\"}}" : name] = value;
            }
        }

        return new CommitStage(values);
    }

    /// <summary>The commits between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static double Commits(CommitStage before, CommitStage after) =>
        after._values.GetValueOrDefault("openchat_commit_duration_seconds_count") - before._values.GetValueOrDefault("openchat_commit_duration_seconds_count");

    /// <summary>What happened between <paramref name="before"/> and <paramref name="after"/>;
    /// <paramref name="diskBytes"/>: what the server wrote to its disk meanwhile (0: unknown).</summary>
    public static string Describe(CommitStage before, CommitStage after, long diskBytes)
    {
        double Delta(string key) => after._values.GetValueOrDefault(key) - before._values.GetValueOrDefault(key);
        var commits = Commits(before, after);
        if (commits <= 0)
        {
            return "commit stage: no commits in the window (or no metrics)";
        }

        var publishes = Delta("openchat_commit_batch_size_sum");
        var mean = Delta("openchat_commit_duration_seconds_sum") / commits * 1000;
        var buckets = after._values.Keys
            .Where(k => k.StartsWith("openchat_commit_duration_seconds_bucket{le=\"", StringComparison.Ordinal) && !k.Contains("+Inf", StringComparison.Ordinal))
            .Select(k => (Key: k, Le: double.Parse(k.Split('"')[1], CultureInfo.InvariantCulture)))
            .OrderBy(b => b.Le)
            .ToList();
        var shares = buckets
            .Where(b => b.Le is >= 0.0005 and <= 0.025)
            .Select(b => $"<= {b.Le * 1000:0.#} ms {Delta(b.Key) / commits:P1}");
        // The smallest bucket bound under which 99 % of the commits fell.
        var p99 = buckets.FirstOrDefault(b => Delta(b.Key) >= 0.99 * commits).Le;
        var p99Text = p99 > 0 ? $"<= {p99 * 1000:0.#} ms" : "over the last bucket";
        // The write-ahead log's pages and the checkpoints' copies of them into the database file.
        var disk = diskBytes > 0 ? $", {diskBytes / commits / 1024:0.0} KiB written to disk per commit" : "";
        // The log thread's other part: handing the commit's acks and events to the send queues.
        var fanOuts = Delta("openchat_commit_fanout_duration_seconds_count");
        var fanOut = fanOuts > 0 ? $"; fan-out mean {Delta("openchat_commit_fanout_duration_seconds_sum") / fanOuts * 1000:0.00} ms" : "";
        return $"commit stage: {commits:N0} commits of {publishes / commits:0.0} publishes on average{disk}, store time mean {mean:0.00} ms, p99 {p99Text} ({string.Join(", ", shares)}){fanOut}";
    }
}
