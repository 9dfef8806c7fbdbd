using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Pki;

public enum CaKeyAlgorithm
{
    P256,
    P384,
}

/// <summary>A certificate the CA just issued; <see cref="Certificate"/> carries the private key
/// when the key was generated here.</summary>
public sealed record IssuedCertificate(CertificateRecord Record, X509Certificate2 Certificate);

/// <summary>A signed certificate revocation list.</summary>
public sealed record RevocationList(byte[] Der, long Number, DateTimeOffset ThisUpdate, DateTimeOffset NextUpdate, IReadOnlyList<string> RevokedSerials)
{
    public string ToPem() => PemEncoding.WriteString("X509 CRL", Der);
}

/// <summary>
/// The operations that need the CA's private key: creating the CA, issuing certificates and
/// signing revocation lists. Everything is checked before anything is signed, and a certificate
/// exists only once it is in the store.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    public const int MaxCaValidDays = 36500;
    public const int MaxLeafValidDays = 3650;
    public const int DefaultCaValidDays = 3650;
    public const int DefaultClientValidDays = 365;
    public const int DefaultServerValidDays = 397;
    public const int MaxCaNameLength = 64;

    private readonly ECDsa _key;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    private CertificateAuthority(CaDirectory directory, ECDsa key, TimeProvider time, ILogger log)
    {
        Directory = directory;
        _key = key;
        _time = time;
        _log = log;
    }

    public CaDirectory Directory { get; }

    /// <summary>Creates the data directory, the CA key and root certificate, and the store.
    /// An existing CA is refused unless <paramref name="replaceExisting"/>; then its files are
    /// moved into a "replaced-…" subdirectory rather than destroyed. The store is made by
    /// <paramref name="stores"/> (SQLite in the directory by default).</summary>
    public static CaDirectory Create(string path, string name, ReadOnlySpan<char> password,
        CaKeyAlgorithm algorithm = CaKeyAlgorithm.P256, int validDays = DefaultCaValidDays,
        bool replaceExisting = false, TimeProvider? time = null, ICaStoreFactory? stores = null, ILogger? log = null)
    {
        time ??= TimeProvider.System;
        ValidateCaName(name);
        ValidateDays(validDays, MaxCaValidDays);

        var directory = new CaDirectory(path, stores);
        if (directory.HasCa)
        {
            if (!replaceExisting)
            {
                throw new OpenChatException(ErrorIds.CaAlreadyExists, ErrorKind.AlreadyExists,
                    $"'{directory.Path}' already holds a certificate authority. Use -Force to replace it (the old one is kept in a 'replaced-…' subdirectory).");
            }

            ArchiveExisting(directory, time);
        }

        SecureFile.CreateDirectory(directory.Path);
        using var key = ECDsa.Create(algorithm == CaKeyAlgorithm.P384 ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        var request = new CertificateRequest(subject.Build(), key, CertificateProfile.HashFor(key));
        CertificateProfile.ApplyRoot(request);
        var now = time.GetUtcNow();
        using var root = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(key),
            now - ClockSkew.Backdating, now.AddDays(validDays), CertificateProfile.NewSerial());

        // Key first: a directory with a certificate but no key is unusable, the reverse is not visible.
        SecureFile.WriteAllText(directory.KeyPath, CaKeyFile.Export(key, password));
        SecureFile.WriteAllText(directory.CertificatePath, root.ExportCertificatePem());
        try
        {
            directory.StoreFactory.Create(directory.Path).Dispose();
        }
        catch (OpenChatException)
        {
            // A shared store (a database) may already hold another node's CA: this key and
            // certificate must not stay behind as a CA that the store does not know.
            File.Delete(directory.CertificatePath);
            File.Delete(directory.KeyPath);
            throw;
        }

        PkiLog.CaCreated(log ?? NullLogger.Instance, name, directory.Path);
        return directory;
    }

    /// <summary>Loads the CA key (decrypting it with <paramref name="password"/> if needed).</summary>
    public static CertificateAuthority Open(CaDirectory directory, ReadOnlySpan<char> password, TimeProvider? time = null, ILogger? log = null)
    {
        directory.EnsureExists();
        var key = CaKeyFile.Import(File.ReadAllText(directory.KeyPath), password);
        using (var publicKey = directory.Certificate.GetECDsaPublicKey())
        {
            if (publicKey is null || !publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                key.Dispose();
                throw new OpenChatException(ErrorIds.CaKeyInvalid, ErrorKind.InvalidData,
                    "The CA key file does not belong to the CA certificate in this directory.");
            }
        }

        return new CertificateAuthority(directory, key, time ?? TimeProvider.System, log ?? NullLogger.Instance);
    }

    /// <summary>Issues a client certificate for a key generated here.</summary>
    public IssuedCertificate IssueClient(string userName, int validDays = DefaultClientValidDays, bool additionalDevice = false) =>
        IssueClient(userName, Days(validDays), additionalDevice);

    /// <summary>Issues a client certificate valid for <paramref name="validFor"/> (at least
    /// <see cref="CertificateLifetime.Minimum"/>) for a key generated here.</summary>
    public IssuedCertificate IssueClient(string userName, TimeSpan validFor, bool additionalDevice = false)
    {
        CheckClientName(userName, additionalDevice);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = SignClient(userName, new PublicKey(key), validFor, additionalDevice);
        var withKey = issued.Certificate.CopyWithPrivateKey(key);
        issued.Certificate.Dispose();
        return issued with { Certificate = withKey };
    }

    /// <summary>Signs a PEM CSR made elsewhere, after <see cref="CsrPolicy"/>.</summary>
    public IssuedCertificate SignRequest(string csrPem, string userName, int validDays = DefaultClientValidDays, bool additionalDevice = false) =>
        SignRequest(csrPem, userName, Days(validDays), additionalDevice);

    public IssuedCertificate SignRequest(string csrPem, string userName, TimeSpan validFor, bool additionalDevice = false)
    {
        var publicKey = CsrPolicy.Check(csrPem, userName);
        CheckClientName(userName, additionalDevice);
        return SignClient(userName, publicKey, validFor, additionalDevice);
    }

    /// <summary>Redeems an invite: checks the claim's proof for this connection (the hash of the
    /// server certificate the connection presented and the nonce it sent) against the store, then
    /// signs the joiner's CSR. The invite is consumed only after the request passed every check.</summary>
    public IssuedCertificate Enroll(EnrollmentClaim claim, ReadOnlySpan<byte> serverCertificateHash, ReadOnlySpan<byte> nonce, int validDays = DefaultClientValidDays)
    {
        var invites = new InviteBook(Directory, _time, _log);
        var record = invites.Check(claim, serverCertificateHash, nonce);
        var publicKey = CsrPolicy.Check(claim.CertificateRequest, record.UserName);
        try
        {
            CheckClientName(record.UserName, record.AdditionalDevice);
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.UserNameTaken)
        {
            // The same invite redeemed twice at once (on two nodes): the one that lost the race
            // finds the name taken by the certificate the other was just issued. What it is told
            // is that the invite was used, not to pass -AdditionalDevice.
            invites.CheckStillPending(record);
            throw;
        }

        invites.Redeem(record);
        return SignClient(record.UserName, publicKey, Days(validDays), record.AdditionalDevice);
    }

    /// <summary>Issues the server's TLS certificate and, when asked, installs it (certificate and
    /// owner-only key) in the data directory for the server to use.</summary>
    public IssuedCertificate IssueServer(IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses,
        int validDays = DefaultServerValidDays, bool install = true, bool replaceInstalled = false) =>
        IssueServer(dnsNames, addresses, Days(validDays), install, replaceInstalled);

    public IssuedCertificate IssueServer(IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses,
        TimeSpan validFor, bool install = true, bool replaceInstalled = false)
    {
        if (install && !replaceInstalled && File.Exists(Directory.ServerCertificatePath))
        {
            throw new OpenChatException(ErrorIds.ServerCertificateExists, ErrorKind.AlreadyExists,
                $"A server certificate is already installed in '{Directory.Path}'. Use -Force to replace it (the old one stays valid until you revoke it).");
        }

        if (dnsNames.Count == 0 && addresses.Count == 0)
        {
            (dnsNames, addresses) = ServerNames.Defaults();
        }

        foreach (var name in dnsNames)
        {
            ServerNames.ValidateDnsName(name);
        }

        var primary = dnsNames.FirstOrDefault() ?? addresses.First().ToString();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(primary);
        var request = new CertificateRequest(subject.Build(), key, CertificateProfile.HashFor(_key));
        CertificateProfile.ApplyServer(request, Directory.Certificate, dnsNames, addresses);
        var (record, certificate) = Sign(request, CertificateKind.Server, primary, validFor, uniqueName: false);
        var withKey = certificate.CopyWithPrivateKey(key);
        certificate.Dispose();
        if (install)
        {
            SecureFile.WriteAllText(Directory.ServerKeyPath, key.ExportPkcs8PrivateKeyPem(), overwrite: true);
            SecureFile.WriteAllText(Directory.ServerCertificatePath, withKey.ExportCertificatePem(), overwrite: true);
        }

        return new IssuedCertificate(record, withKey);
    }

    /// <summary>Renews the installed server certificate <paramref name="current"/> (which must
    /// carry its key): the same names and the same key, a new serial and a lifetime as long as the
    /// old one's, recorded like any issuance and installed atomically. See
    /// <see cref="ServerCertificateRenewal"/> for why the key stays.</summary>
    public IssuedCertificate RenewServer(X509Certificate2 current)
    {
        using var key = current.GetECDsaPrivateKey()
            ?? throw new OpenChatException(ErrorIds.CertificateFileInvalid, ErrorKind.InvalidData, "The server certificate to renew has no ECDSA private key.");
        var (dnsNames, addresses, lifetime) = ServerCertificateRenewal.Describe(current);
        var request = new CertificateRequest(current.SubjectName, key, CertificateProfile.HashFor(_key));
        CertificateProfile.ApplyServer(request, Directory.Certificate, dnsNames, addresses);
        var primary = dnsNames.FirstOrDefault() ?? addresses.FirstOrDefault()?.ToString() ?? current.GetNameInfo(X509NameType.SimpleName, false);
        var (record, certificate) = Sign(request, CertificateKind.Server, primary, lifetime, uniqueName: false);
        var withKey = certificate.CopyWithPrivateKey(key);
        certificate.Dispose();
        // The key file is rewritten too (same key, owner-only, atomic), so certificate and key on disk always match.
        SecureFile.WriteAllText(Directory.ServerKeyPath, key.ExportPkcs8PrivateKeyPem(), overwrite: true);
        SecureFile.WriteAllText(Directory.ServerCertificatePath, withKey.ExportCertificatePem(), overwrite: true);
        return new IssuedCertificate(record, withKey);
    }

    /// <summary>Renews the user certificate <paramref name="current"/> that this CA issued (see
    /// <see cref="ClientRenewal"/> for the rules): the same user, a new serial, a lifetime as long
    /// as the old one's (cut at the CA's end), and the same key, or the key of
    /// <paramref name="csrPem"/> when the device moves to a new one (the CSR passes
    /// <see cref="CsrPolicy"/> for the same user). Recorded as renewing <paramref name="current"/>,
    /// which can then never renew again. The caller proves possession of <paramref name="current"/>'s key
    /// (the server: it is the connection's TLS certificate).</summary>
    public IssuedCertificate RenewClient(X509Certificate2 current, string? csrPem = null, TimeSpan? gracePeriod = null)
    {
        var grace = ClientRenewal.CheckGracePeriod(gracePeriod ?? ClientRenewal.DefaultGracePeriod);
        CertificateRecord previous;
        PublicKey publicKey;
        try
        {
            if (ClientRenewal.Repeated(Directory.Store, current, csrPem, _time.GetUtcNow()) is { } again)
            {
                // The device asks again for a renewal it was given (the reply was lost, or it
                // could not store it): the same certificate, so a lost reply never locks it out.
                PkiLog.ClientCertificateRenewed(_log, again.Name, current.SerialNumber.ToUpperInvariant(), again.Serial, again.NotAfter, csrPem is not null);
                return new IssuedCertificate(again, X509CertificateLoader.LoadCertificate(again.RawData));
            }

            previous = ClientRenewal.Check(Directory.Store, current, _time.GetUtcNow(), grace);
            publicKey = csrPem is null
                ? PublicKey.CreateFromSubjectPublicKeyInfo(current.PublicKey.ExportSubjectPublicKeyInfo(), out _)
                : CsrPolicy.Check(csrPem, previous.Name);
        }
        catch (OpenChatException e)
        {
            PkiLog.ClientRenewalRefused(_log, current.SerialNumber, e.ErrorId);
            throw;
        }

        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(previous.Name);
        var request = new CertificateRequest(subject.Build(), publicKey, CertificateProfile.HashFor(_key));
        CertificateProfile.ApplyClient(request, Directory.Certificate);
        var lifetime = ClientRenewal.Lifetime(previous, IssuerEnd(current));
        var (record, certificate) = Sign(request, CertificateKind.Client, previous.Name, lifetime, uniqueName: false, renewedFrom: previous.Serial);
        PkiLog.ClientCertificateRenewed(_log, previous.Name, previous.Serial, record.Serial, record.NotAfter, csrPem is not null);
        return new IssuedCertificate(record, certificate);
    }

    // The end of the root that issued a user's certificate: this CA's, or the one a rollover replaced.
    private DateTimeOffset? IssuerEnd(X509Certificate2 issued)
    {
        if (issued.IssuerName.RawData.AsSpan().SequenceEqual(Directory.Certificate.SubjectName.RawData))
        {
            return new DateTimeOffset(Directory.Certificate.NotAfter.ToUniversalTime());
        }

        var previous = System.IO.Path.Combine(Directory.Path, PreviousRoot.CertificateFile);
        if (!File.Exists(previous))
        {
            return null;
        }

        using var root = X509Certificate2.CreateFromPem(File.ReadAllText(previous));
        return issued.IssuerName.RawData.AsSpan().SequenceEqual(root.SubjectName.RawData) ? new DateTimeOffset(root.NotAfter.ToUniversalTime()) : null;
    }

    /// <summary>Signs a CRL listing every revoked certificate, numbered one past the last.</summary>
    public RevocationList CreateRevocationList(TimeSpan validFor) =>
        RevocationListSigner.Sign(Directory.Store, Directory.Certificate, _key, validFor, _time.GetUtcNow(), _log);

    public void Dispose() => _key.Dispose();

    private IssuedCertificate SignClient(string userName, PublicKey publicKey, TimeSpan validFor, bool additionalDevice)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(userName);
        // The request's hash is the one the CA signs with, so it follows the CA's curve.
        var request = new CertificateRequest(subject.Build(), publicKey, CertificateProfile.HashFor(_key));
        CertificateProfile.ApplyClient(request, Directory.Certificate);
        var (record, certificate) = Sign(request, CertificateKind.Client, userName, validFor, uniqueName: !additionalDevice);
        return new IssuedCertificate(record, certificate);
    }

    private (CertificateRecord, X509Certificate2) Sign(CertificateRequest request, CertificateKind kind, string name, TimeSpan validFor, bool uniqueName,
        string? renewedFrom = null)
    {
        CertificateLifetime.Check(validFor, TimeSpan.FromDays(MaxLeafValidDays), "A certificate");
        var ca = Directory.Certificate;
        var now = _time.GetUtcNow();
        var caNotAfter = new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        if (now >= caNotAfter)
        {
            throw new OpenChatException(ErrorIds.CaExpired, ErrorKind.InvalidOperation,
                $"The CA expired on {caNotAfter:u}; it can no longer issue certificates.");
        }

        var caNotBefore = new DateTimeOffset(ca.NotBefore.ToUniversalTime());
        if (now < caNotBefore)
        {
            throw new OpenChatException(ErrorIds.ValidityInvalid, ErrorKind.InvalidOperation,
                $"The CA is valid only from {caNotBefore:u}; check this machine's clock.");
        }

        // Certificates start in the past so that peers whose clocks are slow accept them at once.
        var notBefore = now - ClockSkew.Backdating < caNotBefore ? caNotBefore : now - ClockSkew.Backdating;
        var notAfter = now + validFor > caNotAfter ? caNotAfter : now + validFor;

        var serial = CertificateProfile.NewSerial();
        var generator = X509SignatureGenerator.CreateForECDsa(_key);
        var certificate = request.Create(ca.SubjectName, generator, notBefore, notAfter, serial);
        var record = new CertificateRecord(
            Convert.ToHexString(serial), kind, name, certificate.Thumbprint,
            new DateTimeOffset(certificate.NotBefore.ToUniversalTime()), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()),
            now, certificate.RawData, RenewedFrom: renewedFrom);
        try
        {
            if (renewedFrom is null)
            {
                Directory.Store.AddCertificate(record, uniqueName, now);
            }
            else
            {
                Directory.Store.AddRenewal(record);
            }
        }
        catch
        {
            certificate.Dispose();
            throw;
        }

        PkiLog.CertificateIssued(_log, kind, name, record.Serial);
        return (record, certificate);
    }

    private void CheckClientName(string userName, bool additionalDevice) =>
        ClientNames.EnsureAvailable(Directory.Store, userName, additionalDevice, _time.GetUtcNow());

    private static void ValidateCaName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxCaNameLength || name.Any(char.IsControl) || name != name.Trim())
        {
            throw new OpenChatException(ErrorIds.CaNameInvalid, ErrorKind.InvalidArgument,
                $"The CA name must be 1 to {MaxCaNameLength} printable characters without leading or trailing spaces.");
        }
    }

    private static TimeSpan Days(int days)
    {
        ValidateDays(days, MaxLeafValidDays);
        return TimeSpan.FromDays(days);
    }

    private static void ValidateDays(int days, int max)
    {
        if (days < 1 || days > max)
        {
            throw new OpenChatException(ErrorIds.ValidityInvalid, ErrorKind.InvalidArgument,
                $"Validity must be between 1 and {max} days (got {days}).");
        }
    }

    private static void ArchiveExisting(CaDirectory directory, TimeProvider time)
    {
        var archive = Path.Combine(directory.Path, "replaced-" + time.GetUtcNow().ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture));
        SecureFile.CreateDirectory(archive);
        directory.StoreFactory.Archive(directory.Path, archive);
        string[] files =
        [
            CaDirectory.CertificateFile, CaDirectory.KeyFile, CaDirectory.ServerCertificateFile, CaDirectory.ServerKeyFile, CaDirectory.CrlFile,
            .. PreviousRoot.Files,
        ];
        foreach (var file in files)
        {
            var source = Path.Combine(directory.Path, file);
            if (File.Exists(source))
            {
                File.Move(source, Path.Combine(archive, file));
            }
        }
    }
}
