using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Pki;

/// <summary>
/// The root a CA rollover replaced, kept in the data directory for the overlap (until it
/// expires): its certificate and owner-only key (to sign its own revocation list), the
/// cross-certificate by which it certified the current root (served in TLS after the server's
/// certificate, so clients that pin only this root still verify the server) and the reverse one
/// by which the current root certified it (so clients that pin only the current root accept
/// members still under this one). Files, not a store schema: see <see cref="CaRollover"/>.
/// </summary>
public sealed class PreviousRoot : IDisposable
{
    public const string CertificateFile = "ca-previous.crt.pem";
    public const string KeyFile = "ca-previous.key.pem";
    public const string CrossFile = "ca-cross.crt.pem";
    public const string ReverseCrossFile = "ca-reverse-cross.crt.pem";

    private readonly ECDsa? _key;

    private PreviousRoot(X509Certificate2 certificate, X509Certificate2 cross, X509Certificate2 reverseCross, ECDsa? key)
    {
        Certificate = certificate;
        Cross = cross;
        ReverseCross = reverseCross;
        _key = key;
    }

    /// <summary>The rollover files, in the order a later rollover or a replaced CA archives them.</summary>
    public static IReadOnlyList<string> Files { get; } = [CertificateFile, KeyFile, CrossFile, ReverseCrossFile];

    /// <summary>The replaced root.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Issued by the replaced root to the current root's name and key.</summary>
    public X509Certificate2 Cross { get; }

    /// <summary>Issued by the current root to the replaced root's name and key.</summary>
    public X509Certificate2 ReverseCross { get; }

    public DateTimeOffset NotAfter => new(Certificate.NotAfter.ToUniversalTime());

    public bool IsValidAt(DateTimeOffset now) => now < NotAfter;

    public static bool Exists(CaDirectory directory) => File.Exists(Path.Combine(directory.Path, CertificateFile));

    /// <summary>The public parts, or null when no rollover happened here.</summary>
    public static PreviousRoot? Load(CaDirectory directory) => Exists(directory) ? Read(directory, null) : null;

    /// <summary>With the key (encrypted with the CA password, as the current key is), to sign the
    /// replaced root's revocation list; null when no rollover happened here.</summary>
    public static PreviousRoot? Open(CaDirectory directory, ReadOnlySpan<char> password)
    {
        if (!Exists(directory))
        {
            return null;
        }

        var key = CaKeyFile.Import(File.ReadAllText(Path.Combine(directory.Path, KeyFile)), password);
        try
        {
            return Read(directory, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The replaced root's own CRL (every revocation of the CA, see <see cref="RevocationListSigner"/>).</summary>
    public RevocationList CreateRevocationList(ICaStore store, TimeSpan validFor, DateTimeOffset now, ILogger log) =>
        RevocationListSigner.Sign(store, Certificate, _key ?? throw new InvalidOperationException("Opened without its key."), validFor, now, log);

    public void Dispose() => _key?.Dispose();

    private static PreviousRoot Read(CaDirectory directory, ECDsa? key)
    {
        X509Certificate2 Pem(string file) => X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(directory.Path, file)));
        var certificate = Pem(CertificateFile);
        if (key is not null)
        {
            using var publicKey = certificate.GetECDsaPublicKey();
            if (publicKey is null || !publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new OpenChatException(ErrorIds.CaKeyInvalid, ErrorKind.InvalidData,
                    $"{KeyFile} does not belong to {CertificateFile} in '{directory.Path}'.");
            }
        }

        return new PreviousRoot(certificate, Pem(CrossFile), Pem(ReverseCrossFile), key);
    }
}
