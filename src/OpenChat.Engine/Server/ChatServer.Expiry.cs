using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Server;

public sealed partial class ChatServer
{
    /// <summary>What expires within <paramref name="window"/> (30 days unless given), read now on
    /// the server's clock: its TLS certificate, the CA and users' certificates.</summary>
    public ExpiryReport CheckExpiry(TimeSpan? window = null) =>
        ExpiryReport.For(_directory, ServerCertificate, _options.Time.GetUtcNow(), window);

    // At start the admin is looking; the log keeps the warning for those who are not. A store
    // that cannot be read here is reported by the requests that need it, so it does not stop
    // the server from starting.
    private void LogExpiry()
    {
        try
        {
            var report = CheckExpiry();
            if (report.Summary() is { } summary)
            {
                _log.ExpiringSoon(report.Window.TotalDays, summary);
            }
        }
        catch (Exception e)
        {
            _log.Failed(e, "server.expiry-report");
        }
    }
}
