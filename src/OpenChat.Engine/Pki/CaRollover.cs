using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Pki;

/// <summary>What a rollover made: the new root, the one it replaced and when their overlap ends.</summary>
public sealed record CaRolloverResult(string PreviousSubject, string PreviousFingerprint, string Subject, string Fingerprint,
    DateTimeOffset NotAfter, DateTimeOffset OverlapEnds, string? ServerCertificateSerial);

/// <summary>
/// Replaces the CA's root with a new one (a new P-256 key, the name with the next generation
/// number) and makes the two cross-certificates that carry trust over: the old root certifies the
/// new one (clients that pin only the old root verify leaves under the new one through it and
/// accept the new root on that proof) and the new root certifies the old one (clients enrolled
/// afterwards accept the old root and so members not yet renewed). From then on everything is
/// issued under the new root; the server's certificate is re-issued under it at once, with its
/// key (outstanding invites pin that key). The old root and its key stay, as
/// <see cref="PreviousRoot"/>, to sign its revocation list until it expires. The state is
/// files in the data directory, so the CA store's schema does not change. One overlap at a
/// time: a second rollover before the previous root expired is refused.
/// </summary>
public static partial class CaRollover
{
    /// <summary>Rolls the CA in <paramref name="directory"/> over. <paramref name="password"/>
    /// decrypts the current key; both keys are stored encrypted with <paramref name="newPassword"/>
    /// (the same password when null), so the server opens both with one password. The caller
    /// makes sure no server is using the directory (<c>ChatServer.RollOverCertificateAuthority</c>).</summary>
    public static CaRolloverResult Run(CaDirectory directory, ReadOnlySpan<char> password, ReadOnlySpan<char> newPassword, bool keepPassword,
        int validDays, TimeProvider time, ILogger log)
    {
        directory.EnsureExists();
        if (validDays < 1 || validDays > CertificateAuthority.MaxCaValidDays)
        {
            throw new OpenChatException(ErrorIds.ValidityInvalid, ErrorKind.InvalidArgument,
                $"Validity must be between 1 and {CertificateAuthority.MaxCaValidDays} days (got {validDays}).");
        }

        var now = time.GetUtcNow();
        var storePassword = keepPassword ? password : newPassword;
        using var oldKey = CaKeyFile.Import(File.ReadAllText(directory.KeyPath), password);
        var oldRoot = directory.Certificate;
        CheckReplaceable(directory, oldRoot, oldKey, now);
        ArchiveExpiredPrevious(directory, now);

        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(NextName(oldRoot.GetNameInfo(X509NameType.SimpleName, false)));
        var request = new CertificateRequest(subject.Build(), newKey, CertificateProfile.HashFor(newKey));
        CertificateProfile.ApplyRoot(request);
        using var newRoot = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(newKey),
            now - ClockSkew.Backdating, now.AddDays(validDays), CertificateProfile.NewSerial());
        using var cross = RootProof.Issue(oldRoot, oldKey, newRoot, now);
        using var reverse = RootProof.Issue(newRoot, newKey, oldRoot, now);

        // The previous root's files first: until ca.crt.pem changes the directory is the old CA
        // with rollover files beside it, which the server ignores unless they match (Load checks).
        SecureFile.WriteAllText(Path.Combine(directory.Path, PreviousRoot.KeyFile), CaKeyFile.Export(oldKey, storePassword), overwrite: true);
        SecureFile.WriteAllText(Path.Combine(directory.Path, PreviousRoot.CertificateFile), oldRoot.ExportCertificatePem(), overwrite: true);
        SecureFile.WriteAllText(Path.Combine(directory.Path, PreviousRoot.CrossFile), cross.ExportCertificatePem(), overwrite: true);
        SecureFile.WriteAllText(Path.Combine(directory.Path, PreviousRoot.ReverseCrossFile), reverse.ExportCertificatePem(), overwrite: true);
        // Key before certificate, as at creation: a certificate without its key is the unusable state.
        SecureFile.WriteAllText(directory.KeyPath, CaKeyFile.Export(newKey, storePassword), overwrite: true);
        SecureFile.WriteAllText(directory.CertificatePath, newRoot.ExportCertificatePem(), overwrite: true);

        var serverSerial = ReissueServerCertificate(directory, storePassword, time, log);
        var previousFingerprint = CaDirectory.FormatFingerprint(SHA256.HashData(oldRoot.RawData));
        var fingerprint = CaDirectory.FormatFingerprint(SHA256.HashData(newRoot.RawData));
        var overlapEnds = new DateTimeOffset(oldRoot.NotAfter.ToUniversalTime());
        CaRolloverLog.RolledOver(log, oldRoot.Subject, newRoot.Subject, fingerprint, overlapEnds);
        return new CaRolloverResult(oldRoot.Subject, previousFingerprint, newRoot.Subject, fingerprint,
            new DateTimeOffset(newRoot.NotAfter.ToUniversalTime()), overlapEnds, serverSerial);
    }

    /// <summary>"Example CA" becomes "Example CA G2", "Example CA G2" becomes "Example CA G3":
    /// the two roots' names differ, so chains and people tell them apart.</summary>
    public static string NextName(string name)
    {
        var match = GenerationPattern().Match(name);
        var (stem, generation) = match.Success && int.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? (match.Groups[1].Value, n + 1)
            : (name, 2);
        var suffix = " G" + generation.ToString(CultureInfo.InvariantCulture);
        var room = CertificateAuthority.MaxCaNameLength - suffix.Length;
        return (stem.Length > room ? stem[..room].TrimEnd() : stem) + suffix;
    }

    [GeneratedRegex(@"^(.*) G(\d{1,6})$", RegexOptions.CultureInvariant)]
    private static partial Regex GenerationPattern();

    private static void CheckReplaceable(CaDirectory directory, X509Certificate2 oldRoot, ECDsa oldKey, DateTimeOffset now)
    {
        using (var publicKey = oldRoot.GetECDsaPublicKey())
        {
            if (publicKey is null || !publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(oldKey.ExportSubjectPublicKeyInfo()))
            {
                throw new OpenChatException(ErrorIds.CaKeyInvalid, ErrorKind.InvalidData, "The CA key file does not belong to the CA certificate in this directory.");
            }
        }

        if (now >= oldRoot.NotAfter.ToUniversalTime())
        {
            throw new OpenChatException(ErrorIds.CaExpired, ErrorKind.InvalidOperation,
                $"The CA expired on {oldRoot.NotAfter.ToUniversalTime():u}: an expired root can no longer vouch for a new one, so clients could not follow. Create a new CA (New-ChatCertificateAuthority -Force) and invite everyone again.");
        }

        // OpenSSL and the platform's chain builder enforce a root's path length: under a root of
        // path length zero (made before rollover existed) no cross-certificate would verify.
        var constraints = oldRoot.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (constraints is { HasPathLengthConstraint: true, PathLengthConstraint: < 1 })
        {
            throw new OpenChatException(ErrorIds.CaRolloverUnsupported, ErrorKind.InvalidOperation,
                "This CA's root was made with a path length of zero, so no verifier would accept a certificate chained through a cross-certificate under it: clients could not follow a rollover. Roots made by this version allow one.");
        }

        var previous = PreviousRoot.Load(directory);
        if (previous is not null && previous.IsValidAt(now))
        {
            throw new OpenChatException(ErrorIds.CaRolloverInProgress, ErrorKind.InvalidOperation,
                $"The previous rollover's overlap runs until {previous.NotAfter:u}, when the root it replaced ({previous.Certificate.Subject}) expires. Clients that have not connected since still rely on it: roll over again after that.");
        }
    }

    // An overlap that ended leaves its files; they go to "retired-…" so the next overlap starts clean.
    private static void ArchiveExpiredPrevious(CaDirectory directory, DateTimeOffset now)
    {
        if (!PreviousRoot.Exists(directory))
        {
            return;
        }

        var archive = Path.Combine(directory.Path, "retired-" + now.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture));
        SecureFile.CreateDirectory(archive);
        foreach (var file in PreviousRoot.Files)
        {
            var source = Path.Combine(directory.Path, file);
            if (File.Exists(source))
            {
                File.Move(source, Path.Combine(archive, file));
            }
        }
    }

    private static string? ReissueServerCertificate(CaDirectory directory, ReadOnlySpan<char> password, TimeProvider time, ILogger log)
    {
        if (!File.Exists(directory.ServerCertificatePath) || !File.Exists(directory.ServerKeyPath))
        {
            return null;
        }

        using var installed = X509Certificate2.CreateFromPem(File.ReadAllText(directory.ServerCertificatePath), File.ReadAllText(directory.ServerKeyPath));
        using var ca = CertificateAuthority.Open(new CaDirectory(directory.Path, directory.StoreFactory), password, time, log);
        var issued = ca.RenewServer(installed);
        issued.Certificate.Dispose();
        return issued.Record.Serial;
    }
}
