using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Group;
using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>Renews a profile's certificate when no session of it is open: on a connection of its
/// own (a renewal-only one if the certificate has expired within the server's grace window),
/// with the profile's lock held so no session elsewhere renews at the same time.</summary>
public static class IdentityRenewal
{
    /// <summary>Renews with the same key; returns the renewed certificate (already stored).</summary>
    public static async Task<X509Certificate2> RenewAsync(ChatProfile profile, ReadOnlyMemory<char> password, ChatClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ChatClientOptions();
        var log = options.LoggerFactory.CreateLogger(typeof(IdentityRenewal).FullName!);
        using var profileLock = ChatClient.TakeProfileLock(profile);
        using var identity = profile.LoadIdentity(password.Span);
        var pinned = PinnedRoots.Load(profile, options.Time, log);
        var renewed = await RenewalExchange.RunAsync(profile, options.Server ?? profile.Server, pinned, identity, [], options.ConnectTimeout, cancellationToken, options.Time)
            .ConfigureAwait(false);
        try
        {
            RenewedCertificateCheck.Check(renewed, pinned.RequireLive(), profile.UserName, identity.PublicKey.ExportSubjectPublicKeyInfo(), options.Time.GetUtcNow(), identity);
            profile.ReplaceCertificate(renewed);
        }
        catch
        {
            renewed.Dispose();
            throw;
        }

        CertificateRenewalLog.Renewed(log, profile.UserName, identity.SerialNumber, renewed.SerialNumber, renewed.NotAfter.ToUniversalTime());
        return renewed;
    }

    /// <summary>Moves the device to a new key: a new P-256 key made here, a CSR for it sent over
    /// a connection authenticated by the current certificate, and a handover signed by the current
    /// key so that contacts see "renewed its key" rather than a key change. The end-to-end files
    /// move to the new key with it (<see cref="ChatProfile.MoveToNewKey"/>). An expired
    /// certificate cannot hand over (its key no longer vouches for anything): renew it first.
    /// Returns the new certificate (already stored).</summary>
    public static async Task<X509Certificate2> RenewWithNewKeyAsync(ChatProfile profile, ReadOnlyMemory<char> password, ChatClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ChatClientOptions();
        var log = options.LoggerFactory.CreateLogger(typeof(IdentityRenewal).FullName!);
        using var profileLock = ChatClient.TakeProfileLock(profile);
        using var identity = profile.LoadIdentity(password.Span);
        if (options.Time.GetUtcNow() >= identity.NotAfter.ToUniversalTime())
        {
            throw new OpenChatException(ErrorIds.CertificateExpired, ErrorKind.InvalidOperation,
                $"The certificate of '{profile.Name}' has expired, and an expired key cannot hand over to a new one. Renew it first (Update-ChatIdentity without -NewKey), then move to a new key.");
        }

        using var previousKey = identity.GetECDsaPrivateKey()
            ?? throw new OpenChatException(ErrorIds.CertificateFileInvalid, ErrorKind.InvalidData, $"The identity '{profile.Name}' has no ECDSA private key.");
        using var nextKey = PendingKey(profile, password.Span);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(profile.UserName);
        var csr = new CertificateRequest(subject.Build(), nextKey, HashAlgorithmName.SHA256).CreateSigningRequest();
        var pinned = PinnedRoots.Load(profile, options.Time, log);
        var renewed = await RenewalExchange.RunAsync(profile, options.Server ?? profile.Server, pinned, identity, csr, options.ConnectTimeout, cancellationToken, options.Time)
            .ConfigureAwait(false);
        try
        {
            RenewedCertificateCheck.Check(renewed, pinned.RequireLive(), profile.UserName, nextKey.ExportSubjectPublicKeyInfo(), options.Time.GetUtcNow(), identity);
            var handover = KeyHandover.Create(identity, previousKey, nextKey, options.Time.GetUtcNow());
            profile.MoveToNewKey(renewed, previousKey, nextKey, handover, password.Span);
            File.Delete(Path.Combine(profile.Path, PendingKeyFile));
        }
        catch
        {
            renewed.Dispose();
            throw;
        }

        CertificateRenewalLog.Renewed(log, profile.UserName, identity.SerialNumber, renewed.SerialNumber, renewed.NotAfter.ToUniversalTime());
        return renewed;
    }

    /// <summary>Where a new key waits until the move to it is stored: written before its CSR goes
    /// out, so that asking again after a lost reply asks for the same key, which the CA answers
    /// with the certificate it already issued for it, instead of refusing a second renewal.</summary>
    public const string PendingKeyFile = "identity.key.pending.pem";

    private static ECDsa PendingKey(ChatProfile profile, ReadOnlySpan<char> password)
    {
        var path = Path.Combine(profile.Path, PendingKeyFile);
        if (File.Exists(path))
        {
            return Pki.CaKeyFile.Import(File.ReadAllText(path), password);
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Storage.SecureFile.WriteAllText(path, Pki.CaKeyFile.Export(key, password), overwrite: true);
        return key;
    }
}
