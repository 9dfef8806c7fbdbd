using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>
/// The server's periodic look at its live connections: those of certificates revoked or expired
/// since, enrollment connections that outstayed their time, and connections without traffic are
/// closed with a goodbye that says why. A store that fails on one tick is tried on the next.
/// Each tick also runs <c>everyTick</c> (the server's certificate renewal check), which must not throw.
/// Revocations it finds are announced on the <c>bus</c>, so other nodes close them at once instead
/// of at their own next poll.
/// </summary>
internal sealed class ConnectionWatchdog(
    ChatServerOptions options,
    ICaStore store,
    Func<IReadOnlySet<string>, IReadOnlyList<IClientChannel>> connectionsWithSerials,
    Func<IReadOnlyList<ClientConnection>> connections,
    ILogger log,
    Action? everyTick = null,
    IRoomEventBus? bus = null)
{
    // The poll's windows overlap: a revocation is announced on the tick that first sees it.
    private HashSet<string> _announced = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken stopping)
    {
        var since = options.Time.GetUtcNow().AddSeconds(-5);
        using var timer = new PeriodicTimer(options.RevocationPollInterval, options.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                try
                {
                    var now = options.Time.GetUtcNow();
                    CloseRevoked(since);
                    since = now.AddSeconds(-2); // overlap: a revocation stamped just before "now" is not missed
                    CloseTimedOut(now);
                    everyTick?.Invoke();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The CA store was briefly unavailable (busy, I/O): try again on the next tick.
                    log.Failed(e, "server.watchdog");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The server is stopping: that is the loop's only way out.
        }
    }

    private void CloseRevoked(DateTimeOffset since)
    {
        var revoked = store.RevokedSince(since);
        if (revoked.Count == 0)
        {
            _announced.Clear();
            return;
        }

        foreach (var connection in connectionsWithSerials(revoked.ToHashSet(StringComparer.Ordinal)))
        {
            log.RevokedClosed(connection.UserName, connection.Identity?.Serial ?? "", connection.RemoteAddress);
            connection.Close(ErrorIds.CertificateRevoked, "Your certificate was revoked by the server's admin.");
        }

        var fresh = revoked.Where(serial => !_announced.Contains(serial)).ToList();
        _announced = revoked.ToHashSet(StringComparer.Ordinal);
        if (fresh.Count > 0)
        {
            ObserveLog.RevocationsNoticed(log, fresh.Count, string.Join(", ", fresh.Take(20)) + (fresh.Count > 20 ? ", ..." : ""));
            bus?.AnnounceRevoked(fresh);
        }
    }

    private void CloseTimedOut(DateTimeOffset now)
    {
        foreach (var connection in connections().Where(c => c.Identity is not null && !c.RenewalOnly && c.Identity.NotAfter <= now && !c.IsClosed))
        {
            log.ExpiredClosed(connection.UserName, connection.Identity!.Serial, connection.RemoteAddress);
            connection.Close(ErrorIds.CertificateExpired, "Your certificate has expired; connect again to renew it (within the server's renewal grace period), or ask the admin for an invite.");
        }

        // A connection without a certificate has one job (enrolling), and one with an expired
        // certificate another (renewing): each gets the handshake timeout to do it.
        var enrollBefore = Environment.TickCount64 - (long)options.HandshakeTimeout.TotalMilliseconds * 3;
        foreach (var connection in connections().Where(c => (c.Identity is null || c.RenewalOnly) && c.OpenedAt < enrollBefore && !c.IsClosed))
        {
            log.EnrollmentTimeout(connection.RemoteAddress);
            connection.Close(ErrorIds.EnrollmentTimeout, "Enrollment connections close after a short time.");
        }

        var idleBefore = Environment.TickCount64 - (long)options.IdleTimeout.TotalMilliseconds;
        foreach (var connection in connections().Where(c => c.LastActivity < idleBefore && !c.IsClosed))
        {
            log.IdleTimeout(connection.UserName, connection.RemoteAddress);
            connection.Close(ErrorIds.IdleTimeout, "Closed after a period without any traffic.");
        }
    }
}
