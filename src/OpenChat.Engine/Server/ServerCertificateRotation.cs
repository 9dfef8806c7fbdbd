using Microsoft.Extensions.Logging;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Server;

/// <summary>
/// The certificate a running server presents, renewed in place: on each check past two thirds of
/// its validity (by the server's clock) the CA issues the next one and new handshakes get it at
/// once. A handshake takes <see cref="Current"/> once, so a connection keeps what it was shown;
/// connections already open are not touched. A superseded certificate is left to the collector, since
/// a handshake that took it may still be using it.
/// </summary>
internal sealed class ServerCertificateRotation
{
    private readonly CertificateAuthority _ca;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private volatile ServerCredential _current;
    private DateTimeOffset _nextTry = DateTimeOffset.MinValue;

    private readonly PreviousRoot? _previous;

    public ServerCertificateRotation(CertificateAuthority ca, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, TimeProvider time, ILogger log,
        PreviousRoot? previous = null)
    {
        _ca = ca;
        _time = time;
        _log = log;
        _previous = previous;
        _current = new ServerCredential(certificate, ca.Directory.Certificate, previous);
    }

    // A renewal that failed (store busy, CA expired) is tried again after this, not on every tick.
    public static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(1);

    public ServerCredential Current => _current;

    /// <summary>Renews the certificate if it is due; true when it did. Never throws: a failure is
    /// logged and tried again later while the old certificate is served.</summary>
    public bool RenewIfDue()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var current = _current;
            if (!ServerCertificateRenewal.IsWorthRenewing(current.Certificate, _ca.Directory.Certificate, now) || now < _nextTry)
            {
                return false;
            }

            try
            {
                var renewed = new ServerCredential(ServerCertificateRenewal.Renew(_ca, current.Certificate, _log), _ca.Directory.Certificate,
                    _previous?.IsValidAt(now) == true ? _previous : null);
                _current = renewed;
                return true;
            }
            catch (Exception e)
            {
                PkiLog.ServerCertificateRenewalFailed(_log, e, current.Certificate.SerialNumber, current.Certificate.NotAfter.ToUniversalTime());
                _nextTry = now + RetryAfter;
                return false;
            }
        }
    }
}
