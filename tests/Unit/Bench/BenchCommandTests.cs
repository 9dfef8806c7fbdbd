using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Bench;

/// <summary>
/// The bench commands the docs quote still run against today's server, at a size too small to
/// mean anything as a figure: these tests check that messages flow and every line is printed,
/// never how fast (timings stay out of tests). The bench was once left joining rooms the way
/// the protocol no longer allows, and nothing noticed.
/// </summary>
public sealed partial class BenchCommandTests
{
    [Fact]
    public async Task Fanout_delivers_messages_in_every_phase_and_prints_the_ratio()
    {
        var (code, output) = await RunAsync("fanout", "--members", "3", "--seconds", "1", "--warmup", "0");

        Assert.True(code == 0, output);
        foreach (var phase in new[] { "openchat, max rate", "openchat, half rate", "raw sslstream, max rate", "raw sslstream, half rate" })
        {
            Assert.True(Deliveries(output, phase) > 0, $"no deliveries in '{phase}':\n{output}");
        }

        Assert.Contains("ratio openchat/raw deliveries/s:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_acknowledges_every_message()
    {
        var (code, output) = await RunAsync("ingest", "--publishers", "2", "--messages", "400");

        Assert.True(code == 0, output);
        Assert.Contains("acknowledged 400 in", output, StringComparison.Ordinal);
    }

    [ClusterFact]
    public async Task Cluster_measures_every_deployment_shape_with_messages_flowing_and_every_ingested_message_acknowledged()
    {
        var (code, output) = await RunAsync("cluster", "--members", "4", "--seconds", "1", "--warmup", "1", "--messages", "400", "--ingest-publishers", "4");

        Assert.True(code == 0, output);
        var rows = TableRow().Matches(output);
        Assert.Equal(["1 node, SQLite", "1 node, PostgreSQL only", "1 node, PostgreSQL + NATS", "2 nodes, PostgreSQL + NATS", "2 nodes, PostgreSQL only"], rows.Select(r => r.Groups["shape"].Value));
        Assert.All(rows, r => Assert.True(double.Parse(r.Groups["fanout"].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) > 0, output));
        Assert.Equal(5, Regex.Matches(output, "ingest +acknowledged 400 in").Count);
        Assert.Equal(10, Regex.Matches(output, @"fan-out, (max|half) rate +deliveries/s +[1-9]").Count);
        // With two nodes, each node's receivers get a latency line of their own (possibly "no
        // samples" on a loaded machine: one second at this size is a handful of deliveries).
        Assert.Equal(4, Regex.Matches(output, @"node \d's receivers +latency ").Count);
    }

    private static double Deliveries(string output, string phase)
    {
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(phase + " ", StringComparison.Ordinal)) ?? "";
        var match = DeliveriesPerSecond().Match(line);
        return match.Success ? double.Parse(match.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) : 0;
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ServerChild.BenchAssembly());
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            // Five deployment shapes, each starting its server processes: minutes on a loaded machine.
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(12));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output + await errors);
    }

    [GeneratedRegex(@"deliveries/s +([0-9,]+)")]
    private static partial Regex DeliveriesPerSecond();

    [GeneratedRegex(@"^\| (?<shape>[^|]+?) \| (?<fanout>[0-9,]+) \(", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
