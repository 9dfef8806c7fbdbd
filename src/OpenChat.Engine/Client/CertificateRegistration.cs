using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Client;

/// <summary>
/// Makes a chat identity from a certificate the admin issued (a PKCS#12 from New-ChatCertificate,
/// or a certificate signed from the user's CSR plus the key made with it) instead of from an
/// invite. The CA pinned is the one whose SHA-256 fingerprint the caller passes, or, without one,
/// the CA inside a password-protected PKCS#12 (its MAC covers the CA too); otherwise nothing is
/// pinned and the file is refused. The certificate must chain to that CA, be for client
/// authentication, be valid now, name a valid user and match the key. The result is the same
/// profile an invite makes: it pins the CA, and each connection checks the server against it.
/// </summary>
public static class CertificateRegistration
{
    public static ChatProfile Register(IdentityFile file, string server, byte[]? caFingerprint, string? profileRoot,
        ReadOnlySpan<char> profilePassword, TimeProvider? time = null)
    {
        var (host, port) = ServerNames.ParseAddress(server);
        var address = ServerNames.FormatAddress(host, port);
        var ca = PinnedCa(file, caFingerprint);
        var userName = Verify(file.Certificate, file.Key, ca, (time ?? TimeProvider.System).GetUtcNow());
        using var publicOnly = X509CertificateLoader.LoadCertificate(file.Certificate.RawData);
        return ChatProfile.Create(profileRoot ?? ChatProfile.DefaultRoot(), address, userName, ca, publicOnly, file.Key, profilePassword);
    }

    /// <summary>A fingerprint as the cmdlets show it (AB:CD:...) or as plain hex, any case.</summary>
    public static byte[] ParseFingerprint(string text)
    {
        var hex = new string(text.Where(c => c is not (':' or ' ' or '-')).ToArray());
        if (hex.Length != SHA256.HashSizeInBytes * 2 || !hex.All(Uri.IsHexDigit))
        {
            throw new OpenChatException(ErrorIds.CaFingerprintInvalid, ErrorKind.InvalidArgument,
                "-CaFingerprint must be the CA's SHA-256 fingerprint: 64 hexadecimal digits, with or without colons, as Get-ChatCertificateAuthority shows it.");
        }

        return Convert.FromHexString(hex);
    }

    private static X509Certificate2 PinnedCa(IdentityFile file, byte[]? caFingerprint)
    {
        if (file.Ca is null)
        {
            throw new OpenChatException(caFingerprint is null ? ErrorIds.CaFingerprintRequired : ErrorIds.CertificateFileInvalid, ErrorKind.InvalidData,
                "The file carries no CA certificate, so there is nothing to pin. Use the file New-ChatCertificate wrote (-OutFile or -OutDirectory put the CA in it).");
        }

        if (caFingerprint is not null)
        {
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(file.Ca.RawData), caFingerprint))
            {
                throw new OpenChatException(ErrorIds.CaFingerprintMismatch, ErrorKind.AuthenticationFailed,
                    $"The CA in the file has fingerprint {CaDirectory.FormatFingerprint(SHA256.HashData(file.Ca.RawData))}, not the one given. Nothing was stored: ask the admin which is right.");
            }
        }
        else if (!file.Integrity)
        {
            throw new OpenChatException(ErrorIds.CaFingerprintRequired, ErrorKind.InvalidArgument,
                "The file is not protected by a password (a PEM file, or a PKCS#12 without one), so the CA in it is pinned only with its fingerprint from the admin: give -CaFingerprint (Get-ChatCertificateAuthority shows it).");
        }

        if (!IdentityFile.IsCa(file.Ca))
        {
            throw new OpenChatException(ErrorIds.CertificateFileInvalid, ErrorKind.InvalidData, "The certificate pinned as the CA is not a CA certificate.");
        }

        return file.Ca;
    }

    /// <summary>The user name the certificate is for, once it is fit to be an identity under <paramref name="ca"/>.</summary>
    internal static string Verify(X509Certificate2 certificate, ECDsa key, X509Certificate2 ca, DateTimeOffset now)
    {
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is null || !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == CertificateProfile.ClientAuthOid))
        {
            throw new OpenChatException(ErrorIds.CertificateNotForClients, ErrorKind.PolicyViolation,
                "The certificate is not for client authentication (it may be a server certificate): it cannot be a chat identity.");
        }

        if (now > certificate.NotAfter.ToUniversalTime() || now < certificate.NotBefore.ToUniversalTime())
        {
            throw new OpenChatException(ErrorIds.CertificateExpired, ErrorKind.PolicyViolation,
                $"The certificate is valid from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}, not now.");
        }

        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true; // never fetch what a certificate points at
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(CertificateProfile.ClientAuthOid));
            if (!ChainBuilding.Chains(chain, certificate) || chain.ChainElements.Count != 2)
            {
                throw new OpenChatException(ErrorIds.CertificateNotFromCa, ErrorKind.AuthenticationFailed,
                    "The certificate was not issued by the pinned CA: "
                    + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).DefaultIfEmpty("it is not signed by it")) + ".");
            }
        }

        if (!CertificateProfile.IsP256(certificate.PublicKey)
            || !certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new OpenChatException(ErrorIds.CertificateFileInvalid, ErrorKind.InvalidData,
                "The private key does not belong to the certificate (or is not EC P-256).");
        }

        var userName = certificate.GetNameInfo(X509NameType.SimpleName, false);
        UserNamePolicy.Validate(userName);
        return userName;
    }
}
