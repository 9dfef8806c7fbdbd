using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Group;
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

    /// <summary>The key of the client identity's state, the state saved (null before the first
    /// session), this device's group identity (the agreement key and key package saved, or new
    /// ones) and, when the profile's certificate is not the one the saved state knew (renewed or
    /// re-enrolled while no session was open), the serial the saved state knew this device by.</summary>
    public static (byte[] Key, SessionStateFile? Saved, GroupIdentity Identity, string? PreviousSerial) Open(ChatClient client, ILogger? log = null)
    {
        var signing = client.Identity.GetECDsaPrivateKey() ?? throw new CryptoException("The identity has no ECDSA private key.");
        var key = KeyOf(signing);
        var path = PathIn(client.Profile.Path);
        SessionStateFile? saved = null;
        ECDiffieHellman agreement;
        if (File.Exists(path))
        {
            saved = SessionStateFile.Read(Fernet.Decrypt(key, File.ReadAllText(path), client.Time.GetUtcNow()));
            agreement = saved.ImportAgreementKey();
        }
        else
        {
            agreement = KeyAgreement.NewKey();
        }

        var savedPackage = saved?.Package is { Length: > 0 } packageBytes ? KeyPackage.Parse(packageBytes) : null;
        if (savedPackage is not null && Roster.SameSerial(savedPackage.Serial, client.Identity.SerialNumber))
        {
            return (key, saved, new GroupIdentity(client.Identity, signing, agreement, savedPackage), null);
        }

        // A new package for the profile's certificate, with the profile's handover when it hands
        // over to this very certificate (one left from an earlier move would refuse the package).
        // The agreement key stays: the device keeps reading its rooms under the previous serial
        // until it has renewed its place in each.
        var identity = new GroupIdentity(client.Identity, signing, agreement, client.Time.GetUtcNow(), HandoverFor(client, log));
        return (key, saved, identity, savedPackage?.Serial);
    }

    /// <summary>The state file's key under an identity key.</summary>
    public static byte[] KeyOf(ECDsa identityKey) => Kdf.Hkdf(identityKey.ExportParameters(true).D!, "OpenChat v1 client state"u8, "e2e"u8, Fernet.KeyLength);

    private static KeyHandover? HandoverFor(ChatClient client, ILogger? log)
    {
        if (client.Profile.LoadHandover(log) is not { } handover)
        {
            return null;
        }

        return handover.Check(new MemberVerifier(client.PinnedRoots.Live()), client.Identity) is null ? handover : null;
    }

    // Saves state when it changed, and refreshes revocations now and then so that a device that
    // only reads still refuses messages signed by revoked certificates.
    public async Task RunAsync(RevocationTracker revocations, CancellationToken closing)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var ticks = 0;
        try
        {
            await revocations.RefreshAsync().ConfigureAwait(false);
            while (await timer.WaitForNextTickAsync(closing).ConfigureAwait(false))
            {
                try
                {
                    SaveIfChanged();
                    if (++ticks % 120 == 0)
                    {
                        await revocations.RefreshAsync().ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Whatever broke this tick, the loop goes on: it is what keeps the state saved.
                    MarkChanged();
                    _log.Failed(e, "secure.state-save");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Closing.
        }
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
                // Retried on the next tick (marked changed again); the sending path refuses to
                // send when this fails.
                SecureLog.StateNotSaved(_log, e.GetType().Name);
                MarkChanged();
                return false;
            }
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
