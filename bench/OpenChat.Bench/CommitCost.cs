using System.Diagnostics;
using System.Runtime.InteropServices;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Bench;

/// <summary>
/// What one commit costs its committer in a room of many members (issue 13's limits: 150 ms of
/// committer CPU and 120 KB at 1,000): the CPU time of creating and signing one key update in a
/// group that already holds them all, the median of several, and its encoded size. Written against
/// <see cref="GroupState.CreateCommit"/> only, so it measures whatever key schedule the engine has.
/// </summary>
internal static partial class CryptoBench
{
    private const double CpuLimitMs = 150;
    private const double SizeLimitKb = 120;

    public static Task<int> CommitAsync(BenchArgs args)
    {
        using var ca = new BenchCa();
        MeasureCommit(ca, args.Int("members", 1000), args.Int("runs", 9));
        return Task.FromResult(0);
    }

    private static void MeasureCommit(BenchCa ca, int size, int runs)
    {
        var group = Members(ca, size, $"u{size}-");
        var room = new List<RoomEvent>();
        foreach (var m in group)
        {
            Feed(room, m, EventKind.Key, m.Identity.Package.ToBytes());
        }

        var committer = group[0];
        CatchUp(committer, room);
        var (start, startedOn) = committer.State.CreateCommit(CommitReason.Create, []);
        Feed(room, committer, EventKind.Commit, start, startedOn);
        CatchUp(committer, room);
        var (add, addedOn) = committer.State.CreateCommit(CommitReason.Add, group.Skip(1).Select(m => m.Identity.Serial).ToList());
        Feed(room, committer, EventKind.Commit, add, addedOn);
        CatchUp(committer, room);
        if (committer.State.MemberSerials.Count != size)
        {
            throw new InvalidOperationException($"the room holds {committer.State.MemberSerials.Count} members, not {size}");
        }

        // Every member is carried over, so each gets its own wrap: the most a commit costs short of
        // adding members. Creating changes no state (it applies when it comes back in sequence),
        // so one group serves every run; the first run warms the JIT and is not counted.
        var members = committer.State.MemberSerials.ToList();
        var process = Process.GetCurrentProcess();
        var threadCpu = new List<double>();
        var processCpu = new List<double>();
        var wall = new List<double>();
        var bytes = 0;
        for (var run = 0; run <= runs; run++)
        {
            process.Refresh();
            var processBefore = process.TotalProcessorTime;
            var threadBefore = ThreadCpu();
            var clock = Stopwatch.StartNew();
            var (body, _) = committer.State.CreateCommit(CommitReason.Update, members);
            clock.Stop();
            var threadAfter = ThreadCpu();
            process.Refresh();
            if (run == 0)
            {
                continue;
            }

            wall.Add(clock.Elapsed.TotalMilliseconds);
            threadCpu.Add((threadAfter - threadBefore).TotalMilliseconds);
            processCpu.Add((process.TotalProcessorTime - processBefore).TotalMilliseconds);
            bytes = body.Length;
        }

        var cpu = Median(processCpu);
        var kb = bytes / 1024.0;
        Console.WriteLine($"key update commit for a room of {size:N0}, median of {runs}: committer CPU {cpu:0.0} ms (process; creating thread {Median(threadCpu):0.0} ms, wall {Median(wall):0.0} ms), " +
            $"{kb:0.0} KB encoded; limits {CpuLimitMs:0} ms and {SizeLimitKb:0} KB: {(cpu <= CpuLimitMs ? "CPU within" : "CPU OVER")}, {(kb <= SizeLimitKb ? "size within" : "size OVER")}");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    // The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID); elsewhere than Linux, none.
    private static TimeSpan ThreadCpu()
    {
        if (!OperatingSystem.IsLinux() || ClockGetTime(3, out var now) != 0)
        {
            return TimeSpan.Zero;
        }

        return TimeSpan.FromTicks(now.Seconds * TimeSpan.TicksPerSecond + now.Nanoseconds / 100);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec value);
}
