using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace OpenChat.Engine.Diagnostics;

/// <summary>
/// One server's instruments in a prometheus-net registry of its own, in the Prometheus text
/// format. A MeterListener of this server's meter feeds prometheus-net's native collectors
/// (counters as counters, histograms with <see cref="ServerMetrics.Buckets"/>, gauges read at each
/// scrape). prometheus-net's own MeterAdapter would do it, but exports every counter as a gauge
/// and prefixes names with the meter's; and its default registry, never touched here, would
/// start a listener on every meter of the process.
/// </summary>
public sealed class PrometheusExport : IDisposable
{
    private readonly CollectorRegistry _registry = new();
    private readonly IMetricFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Action<double, string[]>> _sinks = new();
    private readonly Meter _meter;

    public PrometheusExport(ServerMetrics metrics, string nodeId)
    {
        _meter = metrics.Meter;
        _registry.SetStaticLabels(new Dictionary<string, string> { ["node"] = nodeId });
        _factory = Metrics.WithCustomRegistry(_registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter))
            {
                _sinks[instrument] = Sink(instrument);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
        // The gauges are read when someone looks, not on a timer.
        _registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Writes every instrument's current values in the Prometheus text format.</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        _registry.CollectAndExportAsTextAsync(destination, cancellationToken);

    public void Dispose() => _listener.Dispose();

    private Action<double, string[]> Sink(Instrument instrument)
    {
        var labels = ServerMetrics.LabelsOf(instrument.Name);
        var help = instrument.Description ?? instrument.Name;
        switch (instrument)
        {
            case Counter<long> or Counter<int>:
                var counter = _factory.CreateCounter(instrument.Name, help, labels);
                return (value, values) => counter.WithLabels(values).Inc(value);
            case ObservableCounter<long>:
                var observed = _factory.CreateCounter(instrument.Name, help, labels);
                return (value, values) => observed.WithLabels(values).IncTo(value);
            case Histogram<int> or Histogram<double>:
                var histogram = _factory.CreateHistogram(instrument.Name, help, new HistogramConfiguration
                {
                    LabelNames = labels,
                    Buckets = ServerMetrics.Buckets(instrument) ?? Histogram.ExponentialBuckets(0.001, 2, 16),
                });
                return (value, values) => histogram.WithLabels(values).Observe(value);
            default:
                var gauge = _factory.CreateGauge(instrument.Name, help, labels);
                return (value, values) => gauge.WithLabels(values).Set(value);
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_sinks.TryGetValue(instrument, out var sink))
        {
            return;
        }

        var labels = ServerMetrics.LabelsOf(instrument.Name);
        var values = new string[labels.Length];
        Array.Fill(values, "");
        foreach (var tag in tags)
        {
            var at = Array.IndexOf(labels, tag.Key);
            if (at >= 0)
            {
                values[at] = tag.Value?.ToString() ?? "";
            }
        }

        sink(value, values);
    }
}
