using System.Globalization;
using System.Runtime.InteropServices;

namespace OpenChat.Bench;

/// <summary>
/// CPU time of the servers under test, of the engines they use (a PostgreSQL cluster counts with
/// every backend it forked) and of the whole machine, read from /proc, so a figure taken with
/// several processes sharing two cores says where the cores went.
/// </summary>
internal sealed class CpuMeter
{
    private readonly Func<TimeSpan> _servers;
    private readonly Func<IEnumerable<int>> _engineRoots;

    public CpuMeter(Func<TimeSpan> servers, Func<IEnumerable<int>>? engineRoots = null)
    {
        _servers = servers;
        _engineRoots = engineRoots ?? (() => []);
    }

    public readonly record struct Sample(TimeSpan Servers, TimeSpan Engines, TimeSpan Machine);

    public Sample Take() => new(_servers(), TreeTime(_engineRoots()), MachineBusy());

    /// <summary>Cores used between two samples over <paramref name="seconds"/> of wall time.</summary>
    public static (double Servers, double Engines, double Machine) Cores(Sample from, Sample to, double seconds) =>
        ((to.Servers - from.Servers).TotalSeconds / seconds, (to.Engines - from.Engines).TotalSeconds / seconds, (to.Machine - from.Machine).TotalSeconds / seconds);

    /// <summary>User plus system time of the processes and all their descendants alive now.</summary>
    public static TimeSpan TreeTime(IEnumerable<int> roots)
    {
        var wanted = roots.ToHashSet();
        if (wanted.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var stats = new List<(int Pid, int Parent, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && ReadStat(pid) is { } stat)
            {
                stats.Add((pid, stat.Parent, stat.Ticks));
            }
        }

        // Parents before children is not guaranteed by pid order, so grow the set until it stops.
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var s in stats)
            {
                if (!wanted.Contains(s.Pid) && wanted.Contains(s.Parent))
                {
                    wanted.Add(s.Pid);
                    grew = true;
                }
            }
        }

        var ticks = stats.Where(s => wanted.Contains(s.Pid)).Sum(s => s.Ticks);
        return TimeSpan.FromSeconds((double)ticks / TicksPerSecond);
    }

    /// <summary>Time all cores spent neither idle nor waiting for the disk (first line of /proc/stat).</summary>
    public static TimeSpan MachineBusy()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal ...; guest time is already inside user.
        var busy = fields.Take(8).Sum() - fields[3] - fields[4];
        return TimeSpan.FromSeconds((double)busy / TicksPerSecond);
    }

    private static (int Parent, long Ticks)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // it exited while we looked
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name is in parentheses and may hold spaces; the fields after it are fixed.
        var after = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // utime and stime, plus cutime and cstime: the children it reaped (PostgreSQL's autovacuum
        // workers and other short-lived backends), which are gone from /proc by the next sample.
        var ticks = new[] { 11, 12, 13, 14 }.Sum(i => long.Parse(after[i], CultureInfo.InvariantCulture));
        return (int.Parse(after[1], CultureInfo.InvariantCulture), ticks);
    }

    private static readonly long TicksPerSecond = SysConf(ClockTicksName) is var t and > 0 ? t : throw new InvalidOperationException("sysconf(_SC_CLK_TCK) failed");

    private const int ClockTicksName = 2; // _SC_CLK_TCK on Linux

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);
}
