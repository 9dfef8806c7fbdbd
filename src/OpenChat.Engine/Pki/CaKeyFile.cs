using System.Security.Cryptography;

namespace OpenChat.Engine.Pki;

/// <summary>
/// The CA's private key at rest: PKCS#8 PEM in an owner-only file, encrypted with
/// PBES2 (PBKDF2-SHA256, AES-256-CBC) when a password is given, so that OpenSSL and other
/// standard tools can read it too.
/// </summary>
public static class CaKeyFile
{
    // OWASP's 2023 figure for PBKDF2-HMAC-SHA256; the key is decrypted once per command.
    public const int Iterations = 600_000;

    private const string EncryptedLabel = "ENCRYPTED PRIVATE KEY";

    public static string Export(ECDsa key, ReadOnlySpan<char> password) =>
        password.IsEmpty
            ? key.ExportPkcs8PrivateKeyPem()
            : key.ExportEncryptedPkcs8PrivateKeyPem(password,
                new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, Iterations));

    public static bool IsEncrypted(string pem) => pem.Contains(EncryptedLabel, StringComparison.Ordinal);

    public static ECDsa Import(string pem, ReadOnlySpan<char> password)
    {
        var key = ECDsa.Create();
        try
        {
            if (IsEncrypted(pem))
            {
                if (password.IsEmpty)
                {
                    throw new OpenChatException(ErrorIds.CaPasswordRequired, ErrorKind.AuthenticationFailed,
                        "The CA key is encrypted. Supply the CA password (-CAPassword).");
                }

                key.ImportFromEncryptedPem(pem, password);
            }
            else
            {
                key.ImportFromPem(pem);
            }

            return key;
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            // The message deliberately carries nothing from the key file.
            throw IsEncrypted(pem)
                ? new OpenChatException(ErrorIds.CaPasswordWrong, ErrorKind.AuthenticationFailed,
                    "The CA password is wrong (the CA key could not be decrypted).", e)
                : new OpenChatException(ErrorIds.CaKeyInvalid, ErrorKind.InvalidData,
                    "The CA key file could not be read; it may be damaged.", e);
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new OpenChatException(ErrorIds.CaKeyInvalid, ErrorKind.InvalidData,
                "The CA key file could not be read; it may be damaged.", e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
