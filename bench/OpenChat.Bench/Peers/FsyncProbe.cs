using System.Diagnostics;

namespace OpenChat.Bench.Peers;

/// <summary>The disk's commit latency where the server keeps its data (the temp directory, as
/// the bench's servers do): appends of 4 KiB, each followed by an fsync, timed one by one. A
/// durable server cannot acknowledge faster than this.</summary>
internal static class FsyncProbe
{
    public static (double P50Ms, double P99Ms) Measure(int count = 400)
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
                    file.Write(block);
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
}
