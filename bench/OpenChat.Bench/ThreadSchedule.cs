using System.Globalization;

namespace OpenChat.Bench;

/// <summary>
/// What the kernel's scheduler did with a process's threads over one phase, from
/// /proc/PID/task/TID/schedstat (time on a core, time runnable but waiting for one, and the
/// number of times it was put on a core). It tells a thread that is slow from a thread that is
/// ready but waiting its turn: on a machine whose cores the load generator shares, the message
/// log's thread can be runnable after its fsync and still not run.
/// </summary>
internal sealed class ThreadSchedule
{
    /// <summary>The message log's thread name as Linux keeps it (15 characters of
    /// "OpenChat message log").</summary>
    public const string LogThread = "OpenChat messag";

    private readonly Dictionary<int, (string Name, long OnCoreNs, long WaitingNs, long Slices)> _threads;

    private ThreadSchedule(Dictionary<int, (string, long, long, long)> threads) => _threads = threads;

    /// <summary>The process's threads now; empty where /proc does not show them.</summary>
    public static ThreadSchedule Read(int pid)
    {
        var threads = new Dictionary<int, (string, long, long, long)>();
        try
        {
            foreach (var folder in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    var fields = File.ReadAllText(Path.Combine(folder, "schedstat")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    var name = File.ReadAllText(Path.Combine(folder, "comm")).TrimEnd('\n');
                    if (fields.Length >= 3)
                    {
                        threads[int.Parse(Path.GetFileName(folder), CultureInfo.InvariantCulture)] = (name,
                            long.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[2], CultureInfo.InvariantCulture));
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
                {
                    // The thread ended between the listing and the read: it is left out.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc here, or not ours to read: reported as unknown.
        }

        return new ThreadSchedule(threads);
    }

    /// <summary>Prints <see cref="Describe"/> indented under a round's line, when there is anything to say.</summary>
    public static void Print(ThreadSchedule before, ThreadSchedule after, double commits, TimeSpan elapsed)
    {
        if (Describe(before, after, commits, elapsed) is { Length: > 0 } text)
        {
            Console.WriteLine($"  {text}");
        }
    }

    /// <summary>The log thread's time on a core and waiting for one per commit, and the whole
    /// process's waiting as a share of the phase; "" where the threads were not readable.</summary>
    public static string Describe(ThreadSchedule before, ThreadSchedule after, double commits, TimeSpan elapsed)
    {
        if (after._threads.Count == 0 || elapsed <= TimeSpan.Zero)
        {
            return "";
        }

        (long OnCore, long Waiting, long Slices) Delta(int tid)
        {
            var now = after._threads[tid];
            var then = before._threads.GetValueOrDefault(tid);
            return (now.OnCoreNs - then.OnCoreNs, now.WaitingNs - then.WaitingNs, now.Slices - then.Slices);
        }

        var log = after._threads.Where(t => t.Value.Name == LogThread).Select(t => Delta(t.Key)).ToList();
        var all = after._threads.Keys.Select(Delta).ToList();
        // Threads waiting at once, on average: their summed waiting time over the phase's length.
        var waitingThreads = all.Sum(t => t.Waiting) / (elapsed.Ticks * 100.0);
        var text = $"scheduler: the server's threads waited for a core {waitingThreads:0.00} threads' worth on average";
        if (log.Count == 1 && commits > 0)
        {
            var (onCore, waiting, slices) = log[0];
            text += $"; log thread per commit: {onCore / commits / 1e6:0.000} ms on a core, {waiting / commits / 1e6:0.000} ms runnable but waiting, " +
                    $"{slices / commits:0.0} times put on a core (busy {(onCore + waiting) / (elapsed.Ticks * 100.0):P0} of the phase, on a core or waiting)";
        }

        return text;
    }
}
