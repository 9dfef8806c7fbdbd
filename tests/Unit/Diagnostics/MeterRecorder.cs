using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OpenChat.Tests.Unit.Diagnostics;

/// <summary>Listens to one meter (by reference, so another server's in the same process is not
/// heard) and keeps, per instrument and tag set, the sum of what was recorded and how often.</summary>
public sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, (double Sum, long Count, double Last)> _seen = new(StringComparer.Ordinal);

    public MeterRecorder(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    /// <summary>The sum recorded on <paramref name="name"/> (with exactly these tags, "k=v" joined by ',').</summary>
    public double Sum(string name, string tags = "") => _seen.GetValueOrDefault(Key(name, tags)).Sum;

    public long Count(string name, string tags = "") => _seen.GetValueOrDefault(Key(name, tags)).Count;

    /// <summary>The last value observed (for gauges and observable counters, after <see cref="Observe"/>).</summary>
    public double Last(string name, string tags = "") => _seen.GetValueOrDefault(Key(name, tags)).Last;

    /// <summary>Reads every observable instrument once (as a scrape would).</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    public void Dispose() => _listener.Dispose();

    private static string Key(string name, string tags) => $"{name}{{{tags}}}";

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var parts = new List<string>();
        foreach (var tag in tags)
        {
            parts.Add($"{tag.Key}={tag.Value}");
        }

        parts.Sort(StringComparer.Ordinal);
        _seen.AddOrUpdate(Key(instrument.Name, string.Join(',', parts)), (value, 1, value), (_, old) => (old.Sum + value, old.Count + 1, value));
    }
}
