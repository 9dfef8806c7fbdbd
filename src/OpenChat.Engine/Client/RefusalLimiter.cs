namespace OpenChat.Engine.Client;

/// <summary>
/// Refused events are shown (a member should know someone is sending what the group refuses),
/// but one hostile member must not fill every receiver's inbox and saved state with them. Per
/// room and sender, a few refusals a minute (by the server's event times) are reported as they
/// come; the rest are counted and the count rides on the next one reported.
/// </summary>
internal sealed class RefusalLimiter
{
    public const int ReportedPerWindow = 3;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int MaxTracked = 1024;

    private readonly Dictionary<(string Room, string Sender), Entry> _seen = [];
    private readonly Lock _gate = new();

    /// <summary>The text to report for this refusal, or null when it is only counted.</summary>
    public string? Admit(string room, string sender, DateTimeOffset at, string refusal)
    {
        lock (_gate)
        {
            if (_seen.Count >= MaxTracked && !_seen.ContainsKey((room, sender)))
            {
                // Many senders refusing at once: forget the oldest windows, never grow without bound.
                foreach (var stale in _seen.Where(s => at - s.Value.WindowStart > Window).Select(s => s.Key).ToList())
                {
                    _seen.Remove(stale);
                }

                if (_seen.Count >= MaxTracked)
                {
                    return null;
                }
            }

            if (!_seen.TryGetValue((room, sender), out var entry) || at - entry.WindowStart > Window || at < entry.WindowStart)
            {
                entry = new Entry { WindowStart = at, Suppressed = entry?.Suppressed ?? 0 };
                _seen[(room, sender)] = entry;
            }

            if (entry.Reported >= ReportedPerWindow)
            {
                entry.Suppressed++;
                return null;
            }

            entry.Reported++;
            var text = entry.Suppressed > 0 ? $"{refusal} ({entry.Suppressed:N0} more refused from {sender} before this were not shown)" : refusal;
            entry.Suppressed = 0;
            return text;
        }
    }

    private sealed class Entry
    {
        public DateTimeOffset WindowStart { get; init; }

        public int Reported { get; set; }

        public int Suppressed { get; set; }
    }
}
