using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Server;

/// <summary>The server's monitoring: its health checks, and the optional HTTP endpoint that
/// serves them (<c>/healthz</c>) with the metrics (<c>/metrics</c>).</summary>
public sealed partial class ChatServer
{
    private PrometheusExport? _export;
    private MonitoringEndpoint? _monitoring;

    /// <summary>Where <c>/metrics</c> and <c>/healthz</c> are served (null when
    /// <see cref="ChatServerOptions.MetricsPort"/> is null); the real port when 0 was asked for.</summary>
    public IPEndPoint? MetricsEndpoint => _monitoring?.Endpoint;

    /// <summary>Checks, now, that the listener accepts, that the stores answer a real query, and,
    /// where configured, that the database and the bus are reachable. Never throws.</summary>
    public HealthReport CheckHealth()
    {
        var checks = new List<(string, Action)>
        {
            ("listener", CheckListener),
            ("store", () =>
            {
                _messages.CheckHealth();
                _directory.Store.GetSetting(InviteBook.ServerAddressSetting);
            }),
        };
        if (_options.Database is { } database)
        {
            checks.Add(("database", () => CheckDatabase(database)));
        }

        if (_options.Backplane is not null && _bus is not null)
        {
            checks.Add(("bus", () =>
            {
                if (!_bus.IsBusUp)
                {
                    throw new InvalidOperationException($"not connected to the NATS server (nodes exchange events through the database meanwhile)");
                }
            }));
        }

        var report = HealthReport.Run(checks);
        foreach (var (name, check) in report.Checks.Where(c => !c.Value.Healthy))
        {
            if (name == "store")
            {
                Metrics.StoreFailed("health");
            }

            ObserveLog.HealthCheckFailed(_log, name, check.Detail);
        }

        return report;
    }

    private void CheckListener()
    {
        if (State != ChatServerState.Running)
        {
            throw new InvalidOperationException($"the server is {State.ToString().ToLowerInvariant()}");
        }

        if (_acceptLoop.IsCompleted || !_listener.Server.IsBound)
        {
            throw new InvalidOperationException("the listener no longer accepts connections");
        }
    }

    private static void CheckDatabase(string database)
    {
        using var connection = new Npgsql.NpgsqlConnection(database);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        command.ExecuteScalar();
    }

    private void StartMonitoring()
    {
        if (_options.MetricsPort is not { } port)
        {
            return;
        }

        _export = new PrometheusExport(Metrics, NodeId);
        _monitoring = new MonitoringEndpoint(_options.MetricsAddress, port, AnswerAsync, _options.LoggerFactory.CreateLogger<MonitoringEndpoint>());
        _monitoring.Start();
    }

    private async Task StopMonitoringAsync()
    {
        if (_monitoring is not null)
        {
            await _monitoring.DisposeAsync().ConfigureAwait(false);
            if (_monitoring.Endpoint.Port != 0)
            {
                ObserveLog.MonitoringStopped(_log, _monitoring.Endpoint.ToString());
            }
        }

        _export?.Dispose();
    }

    private async Task<MonitoringResponse?> AnswerAsync(string path, CancellationToken cancellationToken)
    {
        switch (path)
        {
            case "/metrics":
                using (var body = new MemoryStream())
                {
                    await _export!.WriteAsync(body, cancellationToken).ConfigureAwait(false);
                    return new MonitoringResponse(200, PrometheusExport.ContentType, body.ToArray());
                }

            case "/healthz":
                var report = await Task.Run(CheckHealth, cancellationToken).ConfigureAwait(false);
                return new MonitoringResponse(report.Healthy ? 200 : 503, "application/json", Encoding.UTF8.GetBytes(report.ToJson()));
            default:
                return null;
        }
    }
}
