using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Server;

/// <summary>A peer past the handshake: its frames, who it is (null on an enrollment connection),
/// the hash of the server certificate it was shown, the certificate it presented (DER, empty on
/// an enrollment connection), and whether that certificate expired within the renewal grace
/// window, so the connection may only renew it.</summary>
internal sealed record GreetedPeer(FrameReader Reader, PeerIdentity? Identity, byte[] ServerCertificateHash, byte[] ClientCertificate, bool RenewalOnly = false);

/// <summary>
/// The server's side of opening a connection, within the handshake timeout: TLS 1.3 with the
/// client certificate checked against this CA and its store, then the client's Hello, the
/// protocol version both speak, and a last look for a revocation; <see cref="Welcome"/> answers.
/// Every refusal is logged with its reason and, where the peer can still read, said in a Bye.
/// </summary>
internal sealed class ServerHandshake
{
    // A peer can cause this at will: its log lines are throttled, the refusals never are.
    private readonly LogThrottle _failures = new("HandshakeFailed");

    private readonly Func<ServerCredential> _certificate;
    private readonly ClientCertificateValidator _validator;
    private readonly ICaStore _store;
    private readonly string _caPem;
    private readonly TimeSpan _timeout;
    private readonly ILogger _log;
    private readonly ExpiredCertificateGate? _expired;
    private readonly ServerMetrics? _metrics;

    public ServerHandshake(Func<ServerCredential> certificate, ClientCertificateValidator validator, ICaStore store, string caPem, TimeSpan timeout, ILogger log,
        Func<X509ChainPolicy, ExpiredCertificateGate>? expired = null, ServerMetrics? metrics = null)
    {
        _metrics = metrics;
        _certificate = certificate;
        _validator = validator;
        _expired = expired?.Invoke(validator.ChainPolicy());
        _store = store;
        _caPem = caPem;
        _timeout = timeout;
        _log = log;
    }

    /// <summary>The refusal reason counted for a client certificate TLS refused.</summary>
    public const string CertificateRejected = "CertificateRejected";

    /// <summary>Runs the handshake and greeting on <paramref name="stream"/>; null when the peer
    /// was refused or failed (already logged; the caller disposes the stream).</summary>
    public async Task<GreetedPeer?> RunAsync(SslStream stream, string remoteAddress, CancellationToken stopping)
    {
        var outcome = new HandshakeOutcome();
        var peer = await GreetAsync(stream, remoteAddress, outcome, stopping).ConfigureAwait(false);
        if (peer is not null)
        {
            _metrics?.Handshake("ok");
        }
        else if (outcome.Refusal is { } reason)
        {
            _metrics?.Handshake("refused");
            _metrics?.Refused(reason);
        }
        else
        {
            _metrics?.Handshake("failed");
        }

        return peer;
    }

    /// <summary>Why a handshake was refused (an error id), or null when it failed or succeeded.</summary>
    private sealed class HandshakeOutcome
    {
        public string? Refusal { get; set; }
    }

    private async Task<GreetedPeer?> GreetAsync(SslStream stream, string remoteAddress, HandshakeOutcome outcome, CancellationToken stopping)
    {
        PeerIdentity? identity = null;
        OpenChatException? storeDown = null;
        ExpiredVerdict? expired = null;
        byte[] presentedDer = [];
        var refusal = "";
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            deadline.CancelAfter(_timeout);
            // Taken once: a renewal during this handshake changes what the next one presents.
            var credential = _certificate();
            var tls = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = credential.Context,
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificateRequired = true,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                // The platform's own chain build must not download issuers named by a client's
                // certificate (a stall and a request forgery); our callback decides alone.
                CertificateChainPolicy = _validator.ChainPolicy(),
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    // No certificate: an enrollment connection, which can only redeem an invite.
                    if (certificate is null)
                    {
                        return true;
                    }

                    try
                    {
                        return Validate(certificate, errors);
                    }
                    catch (OpenChatException e) when (e.ErrorId == ErrorIds.StoreUnavailable)
                    {
                        // The store cannot say who this is right now: finish TLS only to say so in
                        // a goodbye, so the client retries (on this node or another) instead of
                        // taking a silent close for a refusal of its identity.
                        storeDown = e;
                        return true;
                    }
                },
            };
            await stream.AuthenticateAsServerAsync(tls, deadline.Token).ConfigureAwait(false);
            if (storeDown is not null)
            {
                outcome.Refusal = ErrorIds.StoreUnavailable;
                _metrics?.StoreFailed("handshake");
                _log.Failed(storeDown, "server.handshake-store");
                await SayGoodbyeAsync(stream, new Bye(ErrorIds.StoreUnavailable,
                    "The server cannot check certificates right now (its database is unreachable). Try again in a moment."), remoteAddress).ConfigureAwait(false);
                return null;
            }

            bool Validate(X509Certificate certificate, SslPolicyErrors errors)
            {
                {

                    // The TLS stack built the chain with our policy (this CA only, clientAuth,
                    // validity, no downloads); what remains is the store: issued here, not revoked.
                    using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    presentedDer = presented.RawData;
                    if (errors != SslPolicyErrors.None)
                    {
                        // An expired certificate of ours gets as far as renewing, or a clear goodbye.
                        expired = _expired?.Judge(presented, out refusal);
                        if (expired is null)
                        {
                            refusal = _expired is null || refusal.Length == 0
                                ? $"the certificate does not chain to this server's CA, is outside its validity or lacks clientAuth ({errors})"
                                : $"{refusal} ({errors})";
                            return false;
                        }

                        identity = expired.Identity;
                        return true;
                    }

                    identity = _validator.ValidateIssued(presented, out refusal);
                    return identity is not null;
                }
            }

            var reader = new FrameReader(stream);
            var first = await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
            if (first is not { Type: MessageType.Hello } hello)
            {
                outcome.Refusal = ErrorIds.ProtocolViolation;
                _log.ProtocolViolation(identity?.UserName ?? "", remoteAddress, "The first frame must be Hello.");
                await SayGoodbyeAsync(stream, new Bye(ErrorIds.ProtocolViolation, "The first frame must be Hello."), remoteAddress).ConfigureAwait(false);
                return null;
            }

            var greeting = (Hello)MessageCodec.Decode(hello);
            if (greeting.MinVersion > ChatProtocol.Version || greeting.MaxVersion < ChatProtocol.Version)
            {
                outcome.Refusal = ErrorIds.VersionUnsupported;
                _log.VersionUnsupported(remoteAddress, greeting.MinVersion, greeting.MaxVersion, ChatProtocol.Version);
                await SayGoodbyeAsync(stream, new Bye(ErrorIds.VersionUnsupported,
                    $"This server speaks protocol version {ChatProtocol.Version}; the client offered {greeting.MinVersion}..{greeting.MaxVersion}."), remoteAddress).ConfigureAwait(false);
                return null;
            }

            if (expired is { Goodbye: { } goodbye })
            {
                outcome.Refusal = goodbye.Code;
                using (var presented = X509CertificateLoader.LoadCertificate(presentedDer))
                {
                    RenewalLog.ExpiredRefused(_log, presented.GetNameInfo(X509NameType.SimpleName, false), remoteAddress, presented.SerialNumber,
                        presented.NotAfter.ToUniversalTime(), goodbye.Code);
                }

                await SayGoodbyeAsync(stream, goodbye, remoteAddress).ConfigureAwait(false);
                return null;
            }

            // Revoked after the TLS handshake but before this greeting: the watchdog looks only
            // at recent revocations, and this connection was not yet among its own.
            if (identity is not null && _store.GetCertificate(identity.Serial) is { RevokedAt: not null })
            {
                outcome.Refusal = ErrorIds.CertificateRevoked;
                _log.RefusedRevoked(identity.UserName, identity.Serial, remoteAddress);
                await SayGoodbyeAsync(stream, new Bye(ErrorIds.CertificateRevoked, "Your certificate was revoked by the server's admin."), remoteAddress).ConfigureAwait(false);
                return null;
            }

            if (expired is not null && identity is not null)
            {
                RenewalLog.RenewalOnlyConnection(_log, identity.UserName, remoteAddress, identity.Serial, identity.NotAfter);
            }

            return new GreetedPeer(reader, identity, credential.Hash, identity is null ? [] : presentedDer, RenewalOnly: expired is not null);
        }
        catch (AuthenticationException) when (refusal.Length > 0)
        {
            // Not an error id: TLS refused the certificate, so no goodbye could say one.
            outcome.Refusal = CertificateRejected;
            _log.CertificateRejected(remoteAddress, refusal);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            if (_failures.Admit(_log))
            {
                _log.HandshakeFailed(remoteAddress, $"{e.GetType().Name}: {e.Message}");
            }

        }
        catch (OperationCanceledException)
        {
            _log.HandshakeFailed(remoteAddress, stopping.IsCancellationRequested
                ? "the server is stopping"
                : $"no handshake and greeting within {_timeout.TotalSeconds:0.#} s");
        }
        catch (ProtocolException e)
        {
            _log.ProtocolViolation(identity?.UserName ?? "", remoteAddress, e.Message);
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.StoreUnavailable && stream.IsAuthenticated)
        {
            outcome.Refusal = ErrorIds.StoreUnavailable;
            _metrics?.StoreFailed("handshake");
            // As above: a goodbye the client retries on, not a close it takes for a refusal.
            _log.Failed(e, "server.handshake-store");
            await SayGoodbyeAsync(stream, new Bye(ErrorIds.StoreUnavailable,
                "The server cannot check certificates right now (its database is unreachable). Try again in a moment."), remoteAddress).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A store or platform failure ends this connection only.
            _log.Failed(e, "server.handshake");
        }

        return null;
    }

    /// <summary>The server's answer to Hello: the version, who the peer is, the CA, and (on an
    /// enrollment connection) the nonce an invite proof must be made for.</summary>
    public void Welcome(ClientConnection connection) =>
        connection.Send(new Welcome(ChatProtocol.Version, "OpenChat", connection.Identity?.UserName ?? "", connection.Identity?.Serial ?? "", _caPem, connection.EnrollmentNonce, Nodes()));

    /// <summary>The live nodes a Welcome lists (this one first); set once the server listens.</summary>
    public Func<IReadOnlyList<string>> Nodes { get; set; } = () => [];

    /// <summary>Writes a last frame to a peer that has no connection object (yet).</summary>
    public async Task SayGoodbyeAsync(SslStream stream, Bye bye, string remoteAddress)
    {
        try
        {
            await stream.WriteAsync(bye.ToFrame()).ConfigureAwait(false);
            await stream.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            _log.GoodbyeNotDelivered(remoteAddress, e.GetType().Name);
        }
    }
}
