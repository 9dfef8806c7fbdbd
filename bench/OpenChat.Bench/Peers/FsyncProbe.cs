using System.Diagnostics;

namespace OpenChat.Bench.Peers;

/// <summary>The disk's commit latency where the server keeps its data (the temp directory, as
/// the bench's servers do): appends of 4 KiB, each followed by an fsync, timed one by one. A
/// durable server cannot acknowledge faster than this. A p99 of a few hundred samples moves with
/// one stall of the disk, so a run probes at its start and again at its end, and judges against
/// the lower of the two (the stricter floor).</summary>
internal static class FsyncProbe
{
    public const int Samples = 1000;

    /// <summary>The pages of a commit like the server's (about 16 of 4 KiB, each its own
    /// write, as SQLite writes its log), then one fsync: for reference beside the floor.</summary>
    public const int CommitPages = 16;

    public static (double P50Ms, double P99Ms) Measure(int count = Samples, int writes = 1)
    {
        var folder = Path.Combine(Path.GetTempPath(), "openchat-bench-fsync-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var samples = new double[count];
            var block = new byte[4096];
            using (var file = new FileStream(Path.Combine(folder, "probe"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                for (var i = 0; i < count; i++)
                {
                    Random.Shared.NextBytes(block);
                    var started = Stopwatch.GetTimestamp();
                    for (var w = 0; w < writes; w++)
                    {
                        file.Write(block);
                    }

                    file.Flush(flushToDisk: true);
                    samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }

            Array.Sort(samples);
            return (samples[count / 2], samples[Math.Min(count - 1, (int)(count * 0.99))]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Measures and prints one probe (<paramref name="when"/>: "disk" or "disk again").</summary>
    public static double MeasureAndPrint(string when)
    {
        var (p50, p99) = Measure();
        Console.WriteLine($"{when}: 4 KiB append + fsync p50 {p50:0.00} ms, p99 {p99:0.00} ms ({Samples} samples, in {Path.GetTempPath()})");
        return p99;
    }

    /// <summary>Measures and prints a commit-sized probe (<see cref="CommitPages"/> writes, one fsync).</summary>
    public static void MeasureCommitSizedAndPrint(string when)
    {
        var (p50, p99) = Measure(Samples, CommitPages);
        Console.WriteLine($"{when}: {CommitPages} appends of 4 KiB + one fsync p50 {p50:0.00} ms, p99 {p99:0.00} ms ({Samples} samples; for reference, not the floor: an upper bound of a commit's, as the file grows where SQLite reuses its log)");
    }
}
