using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Client;

/// <summary>
/// Redeems an invite: the key pair is generated here and never leaves, and neither does the
/// invite's secret. The server must present the key the invite pins and chain to the CA the
/// invite pins; only then does a CSR go to it, with a proof of the secret bound to this TLS
/// connection (the server certificate's hash and the server's fresh nonce) and to that CSR. The
/// result is a profile holding the pinned CA and the new identity.
/// </summary>
public static class ChatEnrollment
{
    public static async Task<ChatProfile> RegisterAsync(string inviteText, string? profileRoot, ReadOnlyMemory<char> password,
        TimeSpan timeout, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var invite = InviteCode.Parse(inviteText);
        var root = profileRoot ?? ChatProfile.DefaultRoot();
        if (File.Exists(Path.Combine(root, ChatProfile.DirectoryName(invite.UserName, invite.Server), ChatProfile.InfoFile)))
        {
            throw new OpenChatException(ErrorIds.ProfileExists, ErrorKind.AlreadyExists,
                $"An identity for '{invite.UserName}' on {invite.Server} already exists under '{root}'.");
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (ca, certificate) = await EnrollAsync(invite, key, timeout, cancellationToken, time).ConfigureAwait(false);
        using (ca)
        using (certificate)
        {
            var profile = ChatProfile.Create(root, invite.Server, invite.UserName, ca, certificate, key, password.Span);
            if (invite.OtherServers.Count > 0)
            {
                // Its first connection can go to another node when the first is down.
                profile.SaveState(new ClientState { Nodes = [.. invite.Servers] });
            }

            return profile;
        }
    }

    /// <summary>Re-enrolls an existing profile with an invite for the same user: the device keeps
    /// its key (so contacts see nothing), its contacts, history, state and verification marks; the
    /// certificate is replaced, and the pinned CA becomes the one the invite pins. For a device
    /// whose certificate expired past the server's renewal grace window.</summary>
    public static async Task<ChatProfile> ReenrollAsync(string inviteText, ChatProfile profile, ReadOnlyMemory<char> password,
        TimeSpan timeout, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var invite = InviteCode.Parse(inviteText);
        if (UserNamePolicy.Normalize(invite.UserName) != UserNamePolicy.Normalize(profile.UserName))
        {
            throw new OpenChatException(ErrorIds.ReenrollUserMismatch, ErrorKind.InvalidArgument,
                $"The invite is for '{UserNamePolicy.Printable(invite.UserName)}', but the identity '{profile.Name}' is '{profile.UserName}'. "
                + "An identity re-enrolls only with an invite for its own user; enroll another user without -Identity.");
        }

        using var profileLock = ChatClient.TakeProfileLock(profile);
        using var identity = profile.LoadIdentity(password.Span);
        using var key = identity.GetECDsaPrivateKey()
            ?? throw new OpenChatException(ErrorIds.CertificateFileInvalid, ErrorKind.InvalidData, $"The identity '{profile.Name}' has no ECDSA private key.");
        var (ca, certificate) = await EnrollAsync(invite, key, timeout, cancellationToken, time).ConfigureAwait(false);
        using (ca)
        using (certificate)
        {
            profile.Reenrolled(invite.Server, ca, certificate);
            return ChatProfile.Open(profile.Path);
        }
    }

    // The invite's nodes in order: one that cannot be reached (or is busy) sends the enrollment on
    // to the next; one that is reached but not the invite's CA or key ends it, whichever it was.
    private static async Task<ClientTransport.Opened> OpenAnyAsync(InviteCode invite, TimeSpan timeout, CancellationToken cancellationToken, TimeProvider time)
    {
        Exception? last = null;
        foreach (var server in invite.Servers)
        {
            try
            {
                return await ClientTransport.OpenAsync(server, invite.CaFingerprint, null, null, timeout, cancellationToken, serverKeyPin: invite.ServerKeyPin, time: time)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (invite.OtherServers.Count > 0 && !cancellationToken.IsCancellationRequested && !ReconnectSupervisor.IsFinal(e)
                && e is not OpenChatException { ErrorId: ErrorIds.CaFingerprintMismatch or ErrorIds.ServerKeyMismatch })
            {
                last = e;
            }
        }

        throw last!;
    }

    /// <summary>Enrolls <paramref name="key"/> with <paramref name="invite"/>; returns the CA and
    /// the certificate, both checked against the invite.</summary>
    private static async Task<(X509Certificate2 Ca, X509Certificate2 Certificate)> EnrollAsync(InviteCode invite, ECDsa key, TimeSpan timeout,
        CancellationToken cancellationToken, TimeProvider time)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(invite.UserName);
        var csr = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

        var opened = await OpenAnyAsync(invite, timeout, cancellationToken, time).ConfigureAwait(false);
        using var stream = opened.Stream;
        opened.CaCertificate.Dispose();
        if (opened.Welcome.Nonce.Length != InviteProof.NonceLength)
        {
            throw new OpenChatException(ErrorIds.ProtocolViolation, ErrorKind.InvalidData,
                "The server's Welcome carries no enrollment nonce; it is not a server this version can enroll with. Nothing was sent.");
        }

        var claim = EnrollmentClaim.Prove(invite, csr, opened.ServerCertificateHash, opened.Welcome.Nonce);
        await stream.WriteAsync(new Enroll(1, claim.InviteId, claim.UserName, claim.CertificateRequest, claim.Proof).ToFrame(), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var reply = await opened.Reader.ReadAsync(deadline.Token).ConfigureAwait(false)
            ?? throw new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, "The server closed the connection before answering the enrollment.");
        switch (MessageCodec.Decode(reply))
        {
            case Enrolled enrolled:
                // During a CA rollover the server names both roots and the cross-certificate: an
                // invite made before it pins the old root, and the new certificate chains to it
                // through the cross-certificate (the rest are untrusted intermediates only).
                var ca = ClientTransport.ReadCa(enrolled.CaCertificate, invite.CaFingerprint);
                var named = new X509Certificate2Collection();
                named.ImportFromPem(enrolled.CaCertificate);
                var certificate = X509Certificate2.CreateFromPem(enrolled.Certificate);
                try
                {
                    Verify(invite, ca, certificate, key, named, time.GetUtcNow());
                }
                catch
                {
                    ca.Dispose();
                    certificate.Dispose();
                    throw;
                }

                return (ca, certificate);
            case ErrorReply error:
                throw new OpenChatException(error.Code, KindOf(error.Code), error.Message);
            case Bye bye:
                throw new OpenChatException(bye.Code, ErrorKind.Unavailable, bye.Message);
            case var other:
                throw new OpenChatException(ErrorIds.ProtocolViolation, ErrorKind.InvalidData,
                    $"The server answered the enrollment with {other.GetType().Name}.", MessageCodec.Unexpected(other, "the server"));
        }
    }

    // The server could be anyone who got hold of the CA's certificate; what it returns is trusted
    // only if it is exactly what we asked for, signed by the pinned CA.
    private static void Verify(InviteCode invite, X509Certificate2 ca, X509Certificate2 certificate, ECDsa key, X509Certificate2Collection intermediates, DateTimeOffset now)
    {
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(ca.RawData), invite.CaFingerprint))
        {
            throw new OpenChatException(ErrorIds.ServerNotTrusted, ErrorKind.AuthenticationFailed, "The server returned a CA certificate other than the one the invite pins.");
        }

        // Judged on this device's clock, except that a certificate the server issued a moment ago
        // is not refused for starting after a clock that is behind (the invite is spent by now):
        // the profile is kept, and it works once the clock is right or the start has passed.
        var start = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        using var chain = new X509Chain();
        chain.ChainPolicy.VerificationTime = (now < start ? start : now).UtcDateTime;
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        // Roots among them are left out: a chain builder that meets an unpinned root stops there
        // instead of going on through the cross-certificate to the pinned one.
        chain.ChainPolicy.ExtraStore.AddRange(intermediates.Where(c => !c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)).ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true; // never fetch what a peer's certificate points at
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(CertificateProfile.ClientAuthOid));
        if (!chain.Build(certificate)
            || !certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo())
            || !string.Equals(certificate.GetNameInfo(X509NameType.SimpleName, false), invite.UserName, StringComparison.OrdinalIgnoreCase))
        {
            throw new OpenChatException(ErrorIds.ServerNotTrusted, ErrorKind.AuthenticationFailed, "The certificate the server returned is not the one requested.");
        }
    }

    internal static ErrorKind KindOf(string code) => code switch
    {
        ErrorIds.InviteNotFound or ErrorIds.RoomNotFound or ErrorIds.UserNotFound or ErrorIds.FileNotFound => ErrorKind.NotFound,
        ErrorIds.RoomExists => ErrorKind.AlreadyExists,
        ErrorIds.InviteSecretWrong => ErrorKind.AuthenticationFailed,
        ErrorIds.InviteMalformed or ErrorIds.InviteOutdated => ErrorKind.InvalidData,
        ErrorIds.RoomNameInvalid or ErrorIds.UserNameInvalid => ErrorKind.InvalidArgument,
        ErrorIds.RateLimited or ErrorIds.StoreUnavailable => ErrorKind.Unavailable,
        ErrorIds.StaleEpoch => ErrorKind.InvalidOperation,
        ErrorIds.MessageTooLarge or ErrorIds.FileTooLarge or ErrorIds.FileQuotaExceeded => ErrorKind.LimitExceeded,
        _ => ErrorKind.PolicyViolation,
    };
}
