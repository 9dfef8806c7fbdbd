using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>Renewing this device's certificate: on demand over the live connection, by itself
/// once two thirds of its validity have passed, and before connecting when it has expired (within
/// the server's grace window). The key stays; the serial changes; contacts see nothing.</summary>
public sealed partial class ChatClient
{
    private readonly SemaphoreSlim _renewing = new(1, 1);
    private readonly List<X509Certificate2> _retiredIdentities = [];

    // Set when a renewal came back already due by this device's clock: the clock is far ahead of
    // the server's, and renewing by itself again would only repeat (and churn serials).
    private volatile bool _clockAhead;

    /// <summary>Renews this device's certificate over the live connection, keeping its key. The
    /// server rebinds the connection to the renewed certificate (no reconnect); the certificate is
    /// checked (<see cref="RenewedCertificateCheck"/>), then stored in the profile, used for later
    /// reconnects, and announced with <see cref="CertificateRenewed"/>. Returns the renewed
    /// certificate (without its key).</summary>
    public async Task<X509Certificate2> RenewCertificateAsync(CancellationToken cancellationToken = default)
    {
        await _renewing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var previous = _identity;
            var reply = await RequestAsync<CertificateRenewed>(tag => new RenewCertificate(tag, []), cancellationToken).ConfigureAwait(false);
            var renewed = X509CertificateLoader.LoadCertificate(reply.Certificate);
            try
            {
                Adopt(previous, renewed);
            }
            catch
            {
                renewed.Dispose();
                throw;
            }

            return renewed;
        }
        finally
        {
            _renewing.Release();
        }
    }

    /// <summary>Checks and stores <paramref name="renewed"/>, then makes it this client's TLS
    /// identity. The previous one stays alive until the client is disposed: components opened
    /// with it (the end-to-end session) may still hold it.</summary>
    private void Adopt(X509Certificate2 previous, X509Certificate2 renewed)
    {
        RenewedCertificateCheck.Check(renewed, _roots.RequireLive(), UserName, previous.PublicKey.ExportSubjectPublicKeyInfo(), Time.GetUtcNow(), previous);
        _profile.ReplaceCertificate(renewed);
        using (var key = previous.GetECDsaPrivateKey()
            ?? throw new OpenChatException(ErrorIds.CertificateFileInvalid, ErrorKind.InvalidData, "This identity has no ECDSA private key."))
        {
            var identity = ChatProfile.WithKey(renewed, key);
            lock (_retiredIdentities)
            {
                _retiredIdentities.Add(previous);
                _identity = identity;
            }
        }

        CertificateRenewalLog.Renewed(_log, UserName, previous.SerialNumber, renewed.SerialNumber, renewed.NotAfter.ToUniversalTime());
        _clockAhead = ServerCertificateRenewal.IsDue(renewed, Time.GetUtcNow());
        if (_clockAhead)
        {
            CertificateRenewalLog.ClockAhead(_log, renewed.SerialNumber, renewed.NotAfter.ToUniversalTime());
        }

        try
        {
            OnCertificateRenewed(previous, _identity);
        }
        catch (Exception e)
        {
            // A subscriber's failure must not undo a renewal that is already stored.
            _log.Failed(e, "client.certificate-renewed-handler");
        }
    }

    /// <summary>Before a connection: an expired certificate is renewed first on a connection that
    /// may only renew (the server allows it within its grace window; past it, its clear refusal
    /// is what the caller gets).</summary>
    private async Task RenewIfExpiredAsync(CancellationToken cancellationToken)
    {
        var previous = _identity;
        var notAfter = new DateTimeOffset(previous.NotAfter.ToUniversalTime());
        if (Time.GetUtcNow() < notAfter)
        {
            return;
        }

        await _renewing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CertificateRenewalLog.RenewingExpired(_log, previous.SerialNumber, notAfter);
            var renewed = await RenewalExchange.RunAsync(_profile, _nodes.Current, _roots, previous, [], _options.ConnectTimeout, cancellationToken, Time).ConfigureAwait(false);
            try
            {
                Adopt(previous, renewed);
            }
            finally
            {
                renewed.Dispose();
            }
        }
        finally
        {
            _renewing.Release();
        }
    }

    /// <summary>Renews by itself once two thirds of the certificate's validity have passed, while
    /// connected; a failure is logged and tried again later (backing off), a refusal that can never
    /// change (revoked, already renewed elsewhere) is logged loudly and ends the loop.</summary>
    private async Task RenewalLoopAsync(CancellationToken stopping)
    {
        var retry = _options.RenewalRetryDelay;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var current = _identity;
                var now = Time.GetUtcNow();
                var due = ServerCertificateRenewal.RenewAt(current);
                // One that already ends with the CA gains nothing from a renewal (cut at the CA's end).
                var worth = current.NotAfter.ToUniversalTime() < _roots.RequireLive().Max(r => r.NotAfter.ToUniversalTime());
                if (now < due || !worth || _clockAhead || State != ChatClientState.Connected)
                {
                    var wait = now < due && due - now < _options.RenewalCheckInterval ? due - now : _options.RenewalCheckInterval;
                    await Task.Delay(wait, Time, stopping).ConfigureAwait(false);
                    continue;
                }

                try
                {
                    (await RenewCertificateAsync(stopping).ConfigureAwait(false)).Dispose();
                    retry = _options.RenewalRetryDelay;
                }
                catch (OpenChatException e) when (e.ErrorId is ErrorIds.CertificateAlreadyRenewed or ErrorIds.RenewalOfRevokedCertificate
                    or ErrorIds.RenewalWindowPassed or ErrorIds.CertificateNotFromCa)
                {
                    CertificateRenewalLog.GivenUp(_log, current.SerialNumber, e.ErrorId);
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    CertificateRenewalLog.Failed(_log, current.SerialNumber, current.NotAfter.ToUniversalTime(),
                        e is OpenChatException o ? o.ErrorId : e.GetType().Name, retry);
                    await Task.Delay(retry, Time, stopping).ConfigureAwait(false);
                    retry = retry * 2 > _options.MaxRenewalRetryDelay ? _options.MaxRenewalRetryDelay : retry * 2;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The client is closing: the loop's only way out besides a final refusal.
        }
        catch (Exception e)
        {
            _log.Failed(e, "client.renewal-loop");
        }
    }

    private void DisposeRetiredIdentities()
    {
        lock (_retiredIdentities)
        {
            foreach (var identity in _retiredIdentities)
            {
                identity.Dispose();
            }

            _retiredIdentities.Clear();
        }
    }
}
