using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

/// <summary>The session's encrypted state file: what it holds and when it is written.</summary>
public sealed partial class SecureSession
{
    // Saves state when it changed, and refreshes revocations now and then so that a device that
    // only reads still refuses messages signed by revoked certificates.
    private async Task SaveLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var ticks = 0;
        try
        {
            await RefreshRevocationsAsync().ConfigureAwait(false);
            while (await timer.WaitForNextTickAsync(_closing.Token).ConfigureAwait(false))
            {
                if (Interlocked.Exchange(ref _dirty, 0) != 0)
                {
                    SaveNow();
                }

                if (++ticks % 120 == 0)
                {
                    await RefreshRevocationsAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private readonly Lock _saveGate = new();

    private bool SaveNow()
    {
        lock (_saveGate)
        {
            return SaveLocked();
        }
    }

    private bool SaveLocked()
    {
        try
        {
            SessionStateFile file;
            lock (_gate)
            {
                file = new SessionStateFile
                {
                    AgreementKey = _identity.AgreementKey.ExportPkcs8PrivateKey(),
                    Package = _identity.Package.ToBytes(),
                    Rooms = _rooms.ToDictionary(r => r.Key, r => new RoomStateData { Group = r.Value.State.Export(), ProcessedThrough = r.Value.ProcessedThrough }),
                    Undelivered = [.. _undelivered],
                    Outbox = [.. _outgoing.Select(o => o.Entry)],
                    CrlNumber = _crlNumber < 0 ? "" : _crlNumber.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Revoked = _verifier.Revocations.Where(r => r.RevokedAt == DateTimeOffset.MinValue).Select(r => r.Serial).ToList(),
                    RevokedAt = _verifier.Revocations.Where(r => r.RevokedAt != DateTimeOffset.MinValue).ToDictionary(r => r.Serial, r => r.RevokedAt, StringComparer.OrdinalIgnoreCase),
                };
            }

            var token = Fernet.Encrypt(_stateKey, JsonSerializer.SerializeToUtf8Bytes(file, SessionJson.Default.SessionStateFile));
            return _client.SaveWhileOwner(() =>
            {
                SecureFile.WriteAllText(_statePath, token, overwrite: true);
                return true;
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Retried on the next tick; the sending path refuses to send when this fails.
            return false;
        }
    }

    private sealed class RoomGroup(GroupState state, ulong processedThrough)
    {
        public GroupState State { get; } = state;

        public ulong ProcessedThrough { get; set; } = processedThrough;

        public SemaphoreSlim Sending { get; } = new(1, 1);

        public ulong CatchUpTarget { get; set; }
    }

    internal sealed class SessionStateFile
    {
        public byte[] AgreementKey { get; set; } = [];

        public byte[]? Package { get; set; }

        public Dictionary<string, RoomStateData> Rooms { get; set; } = [];

        public List<SecureMessage> Undelivered { get; set; } = [];

        /// <summary>Messages queued and not yet acknowledged, as typed (encrypted when sent).</summary>
        public List<QueuedMessage> Outbox { get; set; } = [];

        /// <summary>The number of the newest revocation list accepted (decimal; empty before any).</summary>
        public string CrlNumber { get; set; } = "";

        /// <summary>Revoked serials whose date is not known (older state files).</summary>
        public List<string> Revoked { get; set; } = [];

        /// <summary>Revoked serials with the date the CA's list gave.</summary>
        public Dictionary<string, DateTimeOffset> RevokedAt { get; set; } = [];
    }

    internal sealed class RoomStateData
    {
        public GroupStateData Group { get; set; } = new();

        public ulong ProcessedThrough { get; set; }
    }

    [JsonSerializable(typeof(SessionStateFile))]
    internal sealed partial class SessionJson : JsonSerializerContext;
}
