using System.Diagnostics.Metrics;

namespace OpenChat.Engine.Diagnostics;

/// <summary>What one server's gauges read when they are observed (by a scrape or a listener).</summary>
/// <param name="Connections">Connections past their greeting, open now.</param>
/// <param name="SendQueues">The bytes waiting in each open connection's send queue.</param>
/// <param name="EventsDelivered">Room events put in subscribers' send queues since the start.</param>
/// <param name="CertificateExpiries">Which certificate ("server", "ca") expires when.</param>
public sealed record ServerGauges(
    Func<int> Connections,
    Func<IEnumerable<long>> SendQueues,
    Func<long> EventsDelivered,
    Func<IEnumerable<(string Certificate, DateTimeOffset NotAfter)>> CertificateExpiries);

/// <summary>
/// The instruments of one chat server (meter <see cref="MeterName"/>, tagged with the node's id),
/// in Prometheus' naming so that an export names them as the operations guide lists them. One
/// meter per server instance: two servers in one process never add to each other's figures.
/// Tags carry error ids, outcomes and operations, never names, rooms or addresses (a peer could
/// make their number grow without bound).
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "OpenChat.Server";

    private readonly Counter<long> _handshakes;
    private readonly Counter<long> _received;
    private readonly Counter<long> _stored;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitSeconds;
    private readonly Histogram<double> _fanOutSeconds;
    private readonly Counter<long> _refusals;
    private readonly Counter<long> _storeErrors;

    public ServerMetrics(string nodeId, ServerGauges gauges)
    {
        Meter = new Meter(new MeterOptions(MeterName) { Tags = [new("openchat.node", nodeId)] });
        _handshakes = Meter.CreateCounter<long>("openchat_handshakes_total", "{handshake}",
            "Connections that finished (outcome=ok) or failed (refused, failed) their TLS handshake and greeting.");
        _received = Meter.CreateCounter<long>("openchat_messages_received_total", "{message}", "Publishes received from clients (before any check).");
        _stored = Meter.CreateCounter<long>("openchat_messages_stored_total", "{message}", "Room events stored durably and acknowledged.");
        _batchSize = Meter.CreateHistogram<int>("openchat_commit_batch_size", "{message}", "Publishes per durable group commit.");
        _commitSeconds = Meter.CreateHistogram<double>("openchat_commit_duration_seconds", "s", "Time one durable group commit took in the store.");
        _fanOutSeconds = Meter.CreateHistogram<double>("openchat_commit_fanout_duration_seconds", "s",
            "Time the message log took to frame one commit's acknowledgements and events and hand them to the send queues and the bus (the next commit waits for it; a failed store's error replies included).");
        _refusals = Meter.CreateCounter<long>("openchat_refusals_total", "{refusal}", "Connections and requests refused, by reason (the error id).");
        _storeErrors = Meter.CreateCounter<long>("openchat_store_errors_total", "{error}", "Failures of the message or CA store, by operation.");
        Meter.CreateObservableGauge("openchat_connections", gauges.Connections, "{connection}", "Connections open now (past their greeting).");
        Meter.CreateObservableGauge("openchat_send_queue_bytes", () => gauges.SendQueues().Sum(), "By", "Bytes waiting in all connections' send queues (fan-out backlog).");
        Meter.CreateObservableGauge("openchat_send_queue_max_bytes", () => gauges.SendQueues().DefaultIfEmpty(0).Max(), "By",
            "Bytes waiting in the fullest connection's send queue (a slow reader is dropped at 32 MiB).");
        Meter.CreateObservableCounter("openchat_events_delivered_total", gauges.EventsDelivered, "{event}",
            "Room events handed to subscribers' send queues (one per event and receiving connection).");
        Meter.CreateObservableGauge("openchat_certificate_expiry_timestamp_seconds",
            () => gauges.CertificateExpiries().Select(c => new Measurement<long>(c.NotAfter.ToUnixTimeSeconds(), new KeyValuePair<string, object?>("certificate", c.Certificate))),
            "s", "When a certificate expires (Unix time): certificate=server (the TLS certificate) or ca (the root).");
    }

    /// <summary>The meter of this server alone (a listener or an exporter picks it by reference).</summary>
    public Meter Meter { get; }

    /// <summary>Histogram buckets that suit each histogram (an exporter asks; null: its defaults).</summary>
    public static double[]? Buckets(Instrument instrument) => instrument.Name switch
    {
        "openchat_commit_batch_size" => [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
        "openchat_commit_duration_seconds" => [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        // Framing and queueing a commit takes tenths of a millisecond, not milliseconds.
        "openchat_commit_fanout_duration_seconds" => [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
        _ => null,
    };

    /// <summary>The tag keys an instrument's measurements carry (Prometheus labels).</summary>
    public static string[] LabelsOf(string instrument) => instrument switch
    {
        "openchat_handshakes_total" => ["outcome"],
        "openchat_refusals_total" => ["reason"],
        "openchat_store_errors_total" => ["operation"],
        "openchat_certificate_expiry_timestamp_seconds" => ["certificate"],
        _ => [],
    };

    /// <summary>A handshake ended: "ok" (greeted), "refused" (told why, or its certificate
    /// refused) or "failed" (timed out, broke off, broke the protocol).</summary>
    public void Handshake(string outcome) => _handshakes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Received() => _received.Add(1);

    /// <summary>A group commit of <paramref name="batchSize"/> publishes took
    /// <paramref name="elapsed"/>; <paramref name="stored"/> of them were new events.</summary>
    public void Committed(int batchSize, TimeSpan elapsed, int stored)
    {
        _batchSize.Record(batchSize);
        _commitSeconds.Record(elapsed.TotalSeconds);
        if (stored > 0)
        {
            _stored.Add(stored);
        }
    }

    /// <summary>A commit's results took <paramref name="elapsed"/> to be framed and handed to the
    /// send queues of its publishers and its rooms' subscribers (and to the bus); recorded for a
    /// failed store's error replies and for a fan-out that failed as well.</summary>
    public void FannedOut(TimeSpan elapsed) => _fanOutSeconds.Record(elapsed.TotalSeconds);

    /// <summary>A connection or request was refused; <paramref name="reason"/> is its error id.</summary>
    public void Refused(string reason) => _refusals.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>The store failed under <paramref name="operation"/> (a short stable name).</summary>
    public void StoreFailed(string operation) => _storeErrors.Add(1, new KeyValuePair<string, object?>("operation", operation));

    public void Dispose() => Meter.Dispose();
}
