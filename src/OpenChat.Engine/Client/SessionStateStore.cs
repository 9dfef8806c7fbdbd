using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

/// <summary>
/// The session's state file, encrypted under a key derived from the identity's private key (so
/// it is exactly as protected as that key). A snapshot is taken room by room, each under its own
/// gate only while it is copied; encrypting and writing happen outside every room's gate.
/// </summary>
internal sealed class SessionStateStore : IDisposable
{
    private readonly ChatClient _client;
    private readonly byte[] _key;
    private readonly string _path;
    private readonly ILogger _log;
    private readonly Lock _writing = new();
    private Func<SessionStateFile>? _snapshot;
    private int _dirty;

    public SessionStateStore(ChatClient client, byte[] key, ILogger log)
    {
        _client = client;
        _key = key;
        _path = PathIn(client.Profile.Path);
        _log = log;
    }

    public static string PathIn(string profilePath) => Path.Combine(profilePath, SecureSession.StateFile);

    /// <summary>The key that protects the state of the identity whose signing key is <paramref name="signing"/>.</summary>
    public static byte[] KeyFor(ECDsa signing) =>
        Kdf.Hkdf(signing.ExportParameters(true).D!, "OpenChat v1 client state"u8, "e2e"u8, Fernet.KeyLength);

    /// <summary>The saved state, or null when there is none yet.</summary>
    public static SessionStateFile? Load(string profilePath, byte[] key)
    {
        var path = PathIn(profilePath);
        return File.Exists(path)
            ? JsonSerializer.Deserialize(Fernet.Decrypt(key, File.ReadAllText(path), DateTimeOffset.UtcNow), SessionJson.Default.SessionStateFile)
            : null;
    }

    /// <summary>What is written; set once the session's parts exist.</summary>
    public void TakeSnapshotsFrom(Func<SessionStateFile> snapshot) => _snapshot = snapshot;

    /// <summary>Something changed: written on the next tick of the save loop.</summary>
    public void MarkChanged() => Interlocked.Exchange(ref _dirty, 1);

    public bool SaveIfChanged() => Interlocked.Exchange(ref _dirty, 0) == 0 || SaveNow();

    public bool SaveNow()
    {
        lock (_writing)
        {
            try
            {
                var token = Fernet.Encrypt(_key, JsonSerializer.SerializeToUtf8Bytes(_snapshot!(), SessionJson.Default.SessionStateFile));
                return _client.SaveWhileOwner(() =>
                {
                    SecureFile.WriteAllText(_path, token, overwrite: true);
                    return true;
                });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Retried on the next tick; the sending path refuses to send when this fails.
                SecureLog.StateNotSaved(_log, e.GetType().Name);
                return false;
            }
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
