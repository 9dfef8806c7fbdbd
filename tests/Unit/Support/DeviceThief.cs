using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OpenChat.Engine.Client;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Support;

/// <summary>
/// The strongest realistic attacker on one device: it holds the server's whole log of a room
/// (every event, in sequence) and everything the device held at one moment: its saved state file
/// (the group state, JSON-serialised as the client writes it) and its identity and agreement keys.
/// It does not follow the protocol's rules; it re-runs the protocol's own derivations with every
/// key it has against every commit and message in the log: each stolen private key (the package
/// key, the leaf key, the leaf keys of pending commits) on each wrapped secret, each secret as a
/// joiner secret and chained with every init secret and external key it knows, the stolen sender
/// chains on the messages of the stolen epoch, and every sender's chain from its first key in
/// every epoch whose secret it derived. What it reads is what the theft reveals.
/// </summary>
public sealed class DeviceThief : IDisposable
{
    private readonly string _room;
    private readonly List<ECDiffieHellman> _privateKeys = [];
    private readonly List<PendingCommitData> _pending;
    private readonly GroupStateData _stolen;
    // What it derived, by epoch: epoch secrets, init secrets, external keys (private scalar, public point).
    private readonly Dictionary<ulong, List<byte[]>> _epochSecrets = [];
    private readonly Dictionary<ulong, List<byte[]>> _initSecrets = [];
    private readonly Dictionary<ulong, List<(byte[] Scalar, byte[] Point)>> _externals = [];

    /// <param name="stateFile">The device's state as its client saves it (the JSON of the session state file).</param>
    /// <param name="agreementKey">The device's long-term package agreement key, from its identity.</param>
    public DeviceThief(string room, byte[] stateFile, ECDiffieHellman agreementKey)
    {
        _room = room;
        var file = JsonSerializer.Deserialize(stateFile, SessionJson.Default.SessionStateFile)!;
        _stolen = file.Rooms[room].Group;
        _privateKeys.Add(agreementKey);
        if (_stolen.LeafPrivate is { Length: > 0 } leaf)
        {
            _privateKeys.Add(KeySchedule.ImportPrivate(leaf));
        }

        _pending = _stolen.PendingCommits;
        foreach (var pending in _pending)
        {
            _privateKeys.Add(KeySchedule.ImportPrivate(pending.LeafPrivate));
        }

        if (_stolen.InitSecret is { Length: > 0 } init)
        {
            Add(_initSecrets, _stolen.Epoch, init);
        }

        if (_stolen.ExternalPrivate is { Length: > 0 } external)
        {
            Add(_externals, _stolen.Epoch, (external, _stolen.ExternalPublic));
        }

        if (_stolen.EpochSecret is { Length: > 0 } secret)
        {
            // A state of the first key schedule kept the epoch secret itself.
            Add(_epochSecrets, _stolen.Epoch, secret);
        }
    }

    /// <summary>The state file as the client writes it: the JSON of its session state.</summary>
    public static byte[] StateFileOf(GroupState state, ulong processedThrough) =>
        JsonSerializer.SerializeToUtf8Bytes(new SessionStateFile
        {
            Rooms = { [state.Room] = new SessionStateFile.RoomData { Group = state.Export(), ProcessedThrough = processedThrough } },
        }, SessionJson.Default.SessionStateFile);

    /// <summary>Every message of <paramref name="log"/> the thief can decrypt, as text.</summary>
    public IReadOnlyList<string> Read(IReadOnlyList<RoomEvent> log)
    {
        foreach (var e in log.Where(e => e.Kind == EventKind.Commit))
        {
            Learn(e);
        }

        var read = new List<string>();
        foreach (var e in log.Where(e => e.Kind == EventKind.Chat))
        {
            if (Decrypt(e) is { } text)
            {
                read.Add(text);
            }
        }

        return read;
    }

    public void Dispose()
    {
        foreach (var key in _privateKeys.Skip(1))
        {
            key.Dispose();
        }
    }

    // Everything the commit yields to any key the thief holds or derived.
    private void Learn(RoomEvent e)
    {
        Commit commit;
        try
        {
            commit = Commit.Parse(e.Body);
        }
        catch (CryptoException)
        {
            return;
        }

        if (commit.FormatVersion == Commit.LegacyVersion)
        {
            foreach (var key in _privateKeys)
            {
                foreach (var member in commit.Members)
                {
                    if (commit.UnwrapLegacy(member.SerialHex, key) is { } secret)
                    {
                        LearnEpoch(commit, secret, null);
                    }
                }
            }

            return;
        }

        var joiners = _pending.Where(p => p.Epoch == commit.Epoch && p.Hash.AsSpan().SequenceEqual(commit.Hash)).Select(p => p.JoinerSecret).ToList();
        foreach (var member in commit.Members.Where(m => m.Wrapped.Length == KeySchedule.WrappedLength))
        {
            foreach (var key in _privateKeys)
            {
                byte[]? opened;
                try
                {
                    opened = KeySchedule.Unwrap(member.Wrapped, key, Signatures.PublicPoint(key), commit.EphemeralKey, _room, commit.Epoch, member.Serial);
                }
                catch (CryptoException)
                {
                    continue;
                }

                if (opened is null)
                {
                    continue;
                }

                // A joiner secret itself (an add, or a join's fallback), or a commit secret to chain.
                joiners.Add(opened);
                foreach (var init in Inits(commit))
                {
                    joiners.Add(KeySchedule.Joiner(init, opened, _room, commit.Epoch));
                }
            }
        }

        foreach (var joiner in joiners)
        {
            if (KeySchedule.UnsealExternal(joiner, commit.SealedExternalKey, _room, commit.Epoch, commit.ExternalKey) is { } external)
            {
                LearnEpoch(commit, KeySchedule.EpochSecret(joiner, _room, commit.Epoch, commit.Hash), external);
            }
        }
    }

    // Every init the commit may have been built on: a known init secret of the epoch before, the
    // agreement of a known external key of the epoch before with the commit's ephemeral key, zeros.
    private IEnumerable<byte[]> Inits(Commit commit)
    {
        var before = commit.Epoch - 1;
        foreach (var init in _initSecrets.GetValueOrDefault(before) ?? [])
        {
            yield return init;
        }

        foreach (var (scalar, point) in _externals.GetValueOrDefault(before) ?? [])
        {
            using var external = KeySchedule.FromScalar(scalar, point);
            yield return KeySchedule.ExternalInit(KeyAgreement.SharedSecret(external, commit.EphemeralKey), _room, commit.Epoch, commit.EphemeralKey, point);
        }

        yield return KeySchedule.CreateInit();
    }

    private void LearnEpoch(Commit commit, byte[] epochSecret, byte[]? external)
    {
        Add(_epochSecrets, commit.Epoch, epochSecret);
        Add(_initSecrets, commit.Epoch, KeySchedule.Init(epochSecret, _room, commit.Epoch));
        if (external is not null)
        {
            Add(_externals, commit.Epoch, (external, commit.ExternalKey));
        }
    }

    private string? Decrypt(RoomEvent e)
    {
        Envelope envelope;
        try
        {
            envelope = Envelope.Parse(e.Body);
        }
        catch (CryptoException)
        {
            return null;
        }

        var keys = new List<byte[]>();
        foreach (var secret in _epochSecrets.GetValueOrDefault(envelope.Epoch) ?? [])
        {
            // From the chain's first key: every generation of the epoch.
            if (SenderChain.ForSender(secret, _room, envelope.Epoch, envelope.SenderSerial).KeyFor(envelope.Generation) is { } key)
            {
                keys.Add(key);
            }
        }

        if (envelope.Epoch == _stolen.Epoch)
        {
            // The stolen chains, as they stood (a fresh copy for each message: nothing is used up).
            var stolenChains = _stolen.Receiving.Where(r => Roster.SameSerial(r.Key, envelope.SenderSerial)).Select(r => r.Value)
                .Concat(_stolen.Sending is { } sending ? [sending] : []);
            foreach (var chain in stolenChains)
            {
                if (SenderChain.Import(chain).KeyFor(envelope.Generation) is { } key)
                {
                    keys.Add(key);
                }
            }
        }

        foreach (var key in keys)
        {
            try
            {
                return Encoding.UTF8.GetString(Fernet.Decrypt(key, envelope.Token, DateTimeOffset.UtcNow));
            }
            catch (CryptoException)
            {
                // not this key
            }
        }

        return null;
    }

    private static void Add<T>(Dictionary<ulong, List<T>> known, ulong epoch, T value)
    {
        if (!known.TryGetValue(epoch, out var list))
        {
            known[epoch] = list = [];
        }

        list.Add(value);
    }
}
