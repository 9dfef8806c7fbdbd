using System.Security.Cryptography;
using System.Text.Json;
using OpenChat.Engine.Client.History;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

/// <summary>
/// A device's end-to-end files when it moves to a new key: the session state (e2e.state) and the
/// message history (history.db) are encrypted under keys derived from the identity's private key,
/// so they are re-encrypted from the previous key's to the next one's. The group state in them is
/// what lets the device renew its place in its rooms under the new certificate (with the
/// handover the profile keeps), instead of joining them as a stranger.
/// </summary>
public static class DeviceKeyMove
{
    /// <summary>Re-encrypts the profile's end-to-end files from <paramref name="previousKey"/>'s
    /// keys to <paramref name="nextKey"/>'s. Call while holding the profile with no session open
    /// on it, before the new key replaces the old one in the profile. Each file is left as it is
    /// if it already opens under the next key, so a move cut short is completed by running it
    /// again with the same keys.</summary>
    /// <exception cref="CryptoException">The state opens under neither key.</exception>
    public static void Move(string profilePath, ECDsa previousKey, ECDsa nextKey)
    {
        var statePath = SessionStateStore.PathIn(profilePath);
        var previous = SessionStateStore.KeyOf(previousKey);
        var next = SessionStateStore.KeyOf(nextKey);
        try
        {
            var rooms = new List<string>();
            if (File.Exists(statePath))
            {
                var token = File.ReadAllText(statePath);
                var plaintext = TryDecrypt(next, token) ?? TryDecrypt(previous, token)
                    ?? throw new CryptoException("The end-to-end state opens under neither the previous nor the next key.");
                rooms.AddRange(JsonSerializer.Deserialize(plaintext, SessionJson.Default.SessionStateFile)?.Rooms.Keys.ToList() ?? []);
                MoveHistory(profilePath, previousKey, nextKey, rooms);
                if (TryDecrypt(next, token) is null)
                {
                    SecureFile.WriteAllText(statePath, Fernet.Encrypt(next, plaintext), overwrite: true);
                }

                CryptographicOperations.ZeroMemory(plaintext);
            }
            else
            {
                MoveHistory(profilePath, previousKey, nextKey, rooms);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(previous);
            CryptographicOperations.ZeroMemory(next);
        }
    }

    private static void MoveHistory(string profilePath, ECDsa previousKey, ECDsa nextKey, IEnumerable<string> rooms)
    {
        using var previous = KeysOf(previousKey);
        using var next = KeysOf(nextKey);
        if (!HistoryRekey.OpensUnder(HistoryStore.PathIn(profilePath), next))
        {
            HistoryRekey.Run(HistoryStore.PathIn(profilePath), previous, next, rooms);
        }
    }

    private static HistoryKeys KeysOf(ECDsa key)
    {
        var secret = key.ExportParameters(true).D!;
        try
        {
            return new HistoryKeys(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static byte[]? TryDecrypt(byte[] key, string token)
    {
        try
        {
            return Fernet.Decrypt(key, token, DateTimeOffset.UtcNow);
        }
        catch (CryptoException)
        {
            return null;
        }
    }
}
