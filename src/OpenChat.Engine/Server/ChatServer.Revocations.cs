using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Server;

/// <summary>Revocation on the server: live connections of revoked certificates closed, and the
/// current CA-signed list served to clients (made again only when the revoked set changes).</summary>
public sealed partial class ChatServer
{
    /// <summary>Closes connections of revoked certificates and idle connections.</summary>
    private async Task WatchLoopAsync()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        using var timer = new PeriodicTimer(_options.RevocationPollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    var now = DateTimeOffset.UtcNow;
                    var revoked = _directory.Store.RevokedSince(since);
                    since = now.AddSeconds(-2); // overlap: a revocation stamped just before "now" is not missed
                    if (revoked.Count > 0)
                    {
                        foreach (var connection in _hub.ConnectionsWithSerials(revoked.ToHashSet(StringComparer.Ordinal)))
                        {
                            connection.Close(ErrorIds.CertificateRevoked, "Your certificate was revoked by the server's admin.");
                        }
                    }

                    foreach (var connection in Snapshot().Where(c => c.Identity is not null && c.Identity.NotAfter <= now))
                    {
                        connection.Close(ErrorIds.CertificateExpired, "Your certificate has expired; ask the admin for a new one.");
                    }

                    // A connection without a certificate has one job (enrolling): it gets the handshake timeout to do it.
                    var enrollBefore = Environment.TickCount64 - (long)_options.HandshakeTimeout.TotalMilliseconds * 3;
                    foreach (var connection in Snapshot().Where(c => c.Identity is null && c.OpenedAt < enrollBefore))
                    {
                        connection.Close(ErrorIds.EnrollmentTimeout, "Enrollment connections close after a short time.");
                    }

                    var idleBefore = Environment.TickCount64 - (long)_options.IdleTimeout.TotalMilliseconds;
                    foreach (var connection in Snapshot().Where(c => c.LastActivity < idleBefore))
                    {
                        connection.Close(ErrorIds.IdleTimeout, "Closed after a period without any traffic.");
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The CA store was briefly unavailable (busy, I/O): try again on the next tick.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private readonly Lock _crlGate = new();

    private (byte[] Der, string Serials, long At) _crl = ([], "", 0);

    /// <summary>The CRL for clients: signed again only when the revoked set changed (or after an
    /// hour), so many clients asking cost one signature, and a revocation shows at once.</summary>
    private byte[] CurrentRevocationList()
    {
        var serials = string.Join(',', _directory.Store.RevokedSince(DateTimeOffset.MinValue).Order(StringComparer.Ordinal));
        lock (_crlGate)
        {
            if (_crl.Der.Length == 0 || _crl.Serials != serials || Environment.TickCount64 - _crl.At > 3_600_000)
            {
                _crl = (_ca.CreateRevocationList(TimeSpan.FromDays(1)).Der, serials, Environment.TickCount64);
            }

            return _crl.Der;
        }
    }
}
