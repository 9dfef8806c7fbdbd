using System.Security.Cryptography;

namespace OpenChat.Engine.Crypto;

/// <summary>How a saved private key is encoded.</summary>
internal enum PrivateKeyEncoding
{
    /// <summary>PKCS#8 (<see cref="AsymmetricAlgorithm.ExportPkcs8PrivateKey"/>).</summary>
    Pkcs8,

    /// <summary>SEC 1 ECPrivateKey (<see cref="ECDiffieHellman.ExportECPrivateKey"/>).</summary>
    EcPrivateKey,
}

/// <summary>
/// A P-256 private key read back from this device's saved state, or why not. The one place that
/// knows how the platform fails: a damaged key is a CryptographicException, but a key on a curve
/// it does not know is a PlatformNotSupportedException (found by fuzzing the session state), and
/// a key on another curve it knows imports without complaint.
/// </summary>
internal static class P256PrivateKey
{
    /// <summary>The key, or null with <paramref name="problem"/> completing "the key ..." (is not a
    /// P-256 key, does not read).</summary>
    public static ECDiffieHellman? TryImport(byte[] data, PrivateKeyEncoding encoding, out string problem)
    {
        var key = ECDiffieHellman.Create();
        try
        {
            int read;
            if (encoding == PrivateKeyEncoding.Pkcs8)
            {
                key.ImportPkcs8PrivateKey(data, out read);
            }
            else
            {
                key.ImportECPrivateKey(data, out read);
            }

            if (read == data.Length && key.KeySize == 256)
            {
                problem = "";
                return key;
            }

            problem = "is not a P-256 key";
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            problem = "does not read";
        }

        key.Dispose();
        return null;
    }
}
