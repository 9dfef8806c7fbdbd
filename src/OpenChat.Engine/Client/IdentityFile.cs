using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Client;

/// <summary>
/// What a certificate file handed out by an admin holds: the user's certificate, its private key
/// and, when the file carries it, the CA certificate. Two forms are read: a password-protected
/// PKCS#12 (what New-ChatCertificate -OutFile / -OutDirectory writes, with the CA as a second
/// bag), and PEM (a certificate signed from a CSR, optionally followed by the CA, with the key
/// the user made in the same file or in <c>keyPath</c>). <see cref="Integrity"/> says whether
/// the contents, CA included, are protected by the password (the PKCS#12 MAC): only then may the
/// CA inside be pinned without a fingerprint given separately.
/// </summary>
public sealed class IdentityFile : IDisposable
{
    /// <summary>Larger than any certificate file OpenChat writes by far; refuses reading a wrong file whole.</summary>
    public const int MaxLength = 1024 * 1024;

    private IdentityFile(X509Certificate2 certificate, ECDsa key, X509Certificate2? ca, bool integrity)
    {
        Certificate = certificate;
        Key = key;
        Ca = ca;
        Integrity = integrity;
    }

    public X509Certificate2 Certificate { get; }

    public ECDsa Key { get; }

    public X509Certificate2? Ca { get; }

    public bool Integrity { get; }

    public static IdentityFile Read(string path, ReadOnlySpan<char> password, string? keyPath = null)
    {
        var bytes = ReadBounded(path);
        return IsPkcs12(bytes) ? FromPkcs12(path, bytes, password) : FromPem(path, bytes, password, keyPath);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
        Ca?.Dispose();
    }

    private static IdentityFile FromPkcs12(string path, byte[] bytes, ReadOnlySpan<char> password)
    {
        X509Certificate2Collection all;
        try
        {
            // The loader checks the file's MAC with the password: a wrong password fails here.
            all = X509CertificateLoader.LoadPkcs12Collection(bytes, password, X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException e)
        {
            throw new OpenChatException(ErrorIds.CertificatePasswordWrong, ErrorKind.AuthenticationFailed, password.IsEmpty
                ? $"'{path}' is password-protected, or damaged: give its password with -CertificatePassword (Read-Host -AsSecureString)."
                : $"The password does not open '{path}' (or the file is damaged).", e);
        }

        // An empty password, or a file without a MAC, protects nothing: anyone on the way could
        // have put another CA in it.
        var integrity = !password.IsEmpty && HasMac(bytes);
        var keyed = all.Where(c => c.HasPrivateKey).ToList();
        if (keyed.Count != 1)
        {
            Dispose(all);
            throw Invalid(path, $"it holds {keyed.Count} certificates with a private key, not one");
        }

        var certificate = keyed[0];
        var key = certificate.GetECDsaPrivateKey();
        if (key is null)
        {
            Dispose(all);
            throw Invalid(path, "its key is not an EC P-256 key");
        }

        var ca = all.FirstOrDefault(c => !c.HasPrivateKey && IsCa(c));
        foreach (var other in all.Where(c => c != certificate && c != ca))
        {
            other.Dispose();
        }

        return new IdentityFile(certificate, key, ca, integrity);
    }

    private static IdentityFile FromPem(string path, byte[] bytes, ReadOnlySpan<char> password, string? keyPath)
    {
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        if (!text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw Invalid(path, "it is neither a PKCS#12 file nor PEM with a certificate");
        }

        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(text);
        }
        catch (CryptographicException e)
        {
            throw Invalid(path, "its certificates cannot be read", e);
        }

        var leaves = all.Where(c => !IsCa(c)).ToList();
        if (leaves.Count != 1)
        {
            Dispose(all);
            throw Invalid(path, $"it holds {leaves.Count} end-entity certificates, not one");
        }

        var keyText = text.Contains("PRIVATE KEY-----", StringComparison.Ordinal) ? text : keyPath is null ? null : System.Text.Encoding.UTF8.GetString(ReadBounded(keyPath));
        if (keyText is null)
        {
            Dispose(all);
            throw Invalid(path, "it holds no private key: name the key file made with the request with -KeyFile");
        }

        var key = ECDsa.Create();
        try
        {
            if (keyText.Contains("ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
            {
                key.ImportFromEncryptedPem(keyText, password);
            }
            else
            {
                key.ImportFromPem(keyText);
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            Dispose(all);
            throw keyText.Contains("ENCRYPTED", StringComparison.Ordinal)
                ? new OpenChatException(ErrorIds.CertificatePasswordWrong, ErrorKind.AuthenticationFailed, "The password does not decrypt the private key (-CertificatePassword).", e)
                : Invalid(keyPath ?? path, "its private key is not an EC key in PEM", e);
        }

        return new IdentityFile(leaves[0], key, all.FirstOrDefault(IsCa), integrity: false);
    }

    internal static bool IsCa(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    // PKCS#12 is DER (a SEQUENCE); PEM is text.
    private static bool IsPkcs12(byte[] bytes) => bytes.Length > 0 && bytes[0] == 0x30;

    // The loader checks a MAC only when the file has one: a file stripped of its MAC still opens,
    // with whatever unencrypted certificates someone put in it next to the encrypted parts copied
    // from the real file. Only a MAC (which the loader has verified with the password) covers
    // everything the file says, the CA included. PFX ::= SEQUENCE { version, authSafe, macData OPTIONAL }.
    internal static bool HasMac(byte[] bytes)
    {
        try
        {
            var pfx = new System.Formats.Asn1.AsnReader(bytes, System.Formats.Asn1.AsnEncodingRules.BER).ReadSequence();
            _ = pfx.ReadInteger();
            _ = pfx.ReadEncodedValue(); // authSafe
            return pfx.HasData && pfx.PeekTag().HasSameClassAndValue(System.Formats.Asn1.Asn1Tag.Sequence);
        }
        catch (System.Formats.Asn1.AsnContentException)
        {
            return false;
        }
    }

    private static byte[] ReadBounded(string path)
    {
        if (!File.Exists(path))
        {
            throw new OpenChatException(ErrorIds.CertificateFileInvalid, ErrorKind.NotFound, $"'{path}' does not exist.");
        }

        if (new FileInfo(path).Length > MaxLength)
        {
            throw Invalid(path, "it is too large to be a certificate file");
        }

        return File.ReadAllBytes(path);
    }

    private static void Dispose(X509Certificate2Collection all)
    {
        foreach (var certificate in all)
        {
            certificate.Dispose();
        }
    }

    private static OpenChatException Invalid(string path, string why, Exception? inner = null) =>
        new(ErrorIds.CertificateFileInvalid, ErrorKind.InvalidData, $"'{path}' is not a usable OpenChat certificate file: {why}.", inner);
}
