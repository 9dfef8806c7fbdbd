using System.Security.Cryptography;

namespace OpenChat.Engine.Group;

/// <summary>
/// The current epoch's keys as this device holds them (format-2 key schedule): its own sending
/// ratchet and one receiving ratchet per member, all derived when the epoch starts, the init
/// secret the next commit builds on, the epoch's external private key (for opening joins), and
/// the highest generation seen from each sender (to tell a late message from a gap). The epoch
/// secret itself is erased as soon as these are derived and is never kept or saved, so a device
/// stolen later cannot re-derive a chain from its beginning.
/// </summary>
internal sealed class EpochKeys
{
    private readonly Dictionary<string, SenderChain> _receiving = new(Roster.SerialComparer);
    private readonly Dictionary<string, uint> _highestGeneration = new(Roster.SerialComparer);
    // The message keys of this device's own messages not yet seen back, in memory only: there is no
    // receiving chain for its own serial, which would lag its sending chain until each echo and so
    // let a state stolen between a send and its echo open what this device sent.
    private readonly Dictionary<uint, byte[]> _ownUnechoed = [];
    private string? _ownSerial;

    /// <summary>Own messages whose keys are kept for their echo: those of the last this many sent.</summary>
    public const int MaxOwnUnechoed = 256;

    /// <summary>False when this device holds no key for the epoch (not a member, or it left).</summary>
    public bool Holds { get; private set; }

    public SenderChain? Sending { get; private set; }

    public int SentInEpoch { get; private set; }

    /// <summary>What the next commit by a member builds on; null when this device holds no key.</summary>
    public byte[]? InitSecret { get; private set; }

    /// <summary>The epoch's external private scalar; null after a format-1 commit or without keys.</summary>
    public byte[]? ExternalPrivate { get; private set; }

    public IReadOnlyDictionary<string, SenderChain> Receiving => _receiving;

    public IReadOnlyDictionary<string, uint> HighestGeneration => _highestGeneration;

    /// <summary>The saved keys; a state of format 1 (it kept the epoch secret) derives the missing
    /// chains and the init secret from it, and the secret is erased (migration).</summary>
    public static EpochKeys Restore(GroupStateData data, IReadOnlyList<string> members, string ownSerial)
    {
        var keys = new EpochKeys
        {
            Sending = data.Sending is null ? null : SenderChain.Import(data.Sending),
            SentInEpoch = data.SentInEpoch,
        };
        keys._ownSerial = ownSerial;
        foreach (var (serial, chain) in data.Receiving)
        {
            // A state saved before kept a receiving chain for this device's own serial: dropped.
            if (!Roster.SameSerial(serial, ownSerial))
            {
                keys._receiving[serial] = SenderChain.Import(chain);
            }
        }

        foreach (var (serial, generation) in data.HighestGeneration)
        {
            keys._highestGeneration[serial] = generation;
        }

        if (data.Format < 2)
        {
            if (data.EpochSecret is { Length: > 0 } secret)
            {
                keys.Holds = true;
                keys.Sending ??= SenderChain.ForSender(secret, data.Room, data.Epoch, ownSerial);
                keys.DeriveMissing(secret, data.Room, data.Epoch, members.Where(m => !Roster.SameSerial(m, ownSerial)));
                keys.InitSecret = KeySchedule.Init(secret, data.Room, data.Epoch);
                CryptographicOperations.ZeroMemory(secret);
                data.EpochSecret = null;
            }

            return keys;
        }

        keys.Holds = data.HoldsEpoch;
        // The state file writes a missing key as an empty one.
        keys.InitSecret = data.InitSecret is { Length: > 0 } init ? (byte[])init.Clone() : null;
        keys.ExternalPrivate = data.ExternalPrivate is { Length: > 0 } external ? (byte[])external.Clone() : null;
        return keys;
    }

    /// <summary>A new epoch: every chain derived from <paramref name="epochSecret"/> (null when this
    /// device is not in it), which is then erased, and nothing received yet.</summary>
    public void Start(byte[]? epochSecret, byte[]? externalPrivate, string room, ulong epoch, string ownSerial, IEnumerable<string> members)
    {
        Forget();
        _highestGeneration.Clear();
        SentInEpoch = 0;
        if (epochSecret is null)
        {
            return;
        }

        Holds = true;
        _ownSerial = ownSerial;
        Sending = SenderChain.ForSender(epochSecret, room, epoch, ownSerial);
        DeriveMissing(epochSecret, room, epoch, members.Where(m => !Roster.SameSerial(m, ownSerial)));
        InitSecret = KeySchedule.Init(epochSecret, room, epoch);
        ExternalPrivate = externalPrivate;
        CryptographicOperations.ZeroMemory(epochSecret);
    }

    /// <summary>Counts a message this device sent in the epoch, and keeps its key (in memory) for its echo.</summary>
    public void CountSent(uint generation, byte[] messageKey)
    {
        SentInEpoch++;
        _ownUnechoed[generation] = (byte[])messageKey.Clone();
        // Generations are sent in order, so the keys kept are those of the last MaxOwnUnechoed
        // sent: the one that falls out of that window is dropped (no search for the oldest).
        if (generation >= MaxOwnUnechoed && _ownUnechoed.Remove(generation - MaxOwnUnechoed, out var old))
        {
            Erase(old);
        }
    }

    /// <summary>Whether <paramref name="senderSerial"/> is the serial this device sends under in the epoch.</summary>
    public bool IsOwn(string senderSerial) => _ownSerial is { } own && Roster.SameSerial(own, senderSerial);

    /// <summary>The key of this device's own message of <paramref name="generation"/>, once (then
    /// erased from here); null when it was seen already or sent before a restart.</summary>
    public byte[]? TakeOwn(uint generation) => _ownUnechoed.Remove(generation, out var key) ? key : null;

    /// <summary>The receiving ratchet for <paramref name="senderSerial"/>; null when there is none.</summary>
    public SenderChain? ReceivingFrom(string senderSerial) => _receiving.GetValueOrDefault(senderSerial);

    /// <summary>Records a received generation: whether it came after a later one, and how many
    /// generations are missing before it.</summary>
    public (bool OutOfOrder, uint MissingBefore) Record(string senderSerial, uint generation)
    {
        var highest = _highestGeneration.TryGetValue(senderSerial, out var h) ? (long)h : -1;
        var outOfOrder = generation < highest;
        var missing = generation > highest + 1 ? (uint)(generation - highest - 1) : 0u;
        if (!outOfOrder)
        {
            _highestGeneration[senderSerial] = generation;
        }

        return (outOfOrder, missing);
    }

    /// <summary>Erases the keys (this device left, or the epoch ended); the counters stay.</summary>
    public void Forget()
    {
        Holds = false;
        Sending?.Erase();
        Sending = null;
        foreach (var chain in _receiving.Values)
        {
            chain.Erase();
        }

        _receiving.Clear();
        foreach (var key in _ownUnechoed.Values)
        {
            Erase(key);
        }

        _ownUnechoed.Clear();
        Erase(InitSecret);
        InitSecret = null;
        Erase(ExternalPrivate);
        ExternalPrivate = null;
    }

    private void DeriveMissing(byte[] epochSecret, string room, ulong epoch, IEnumerable<string> members)
    {
        foreach (var serial in members)
        {
            if (!_receiving.ContainsKey(serial))
            {
                _receiving[serial] = SenderChain.ForSender(epochSecret, room, epoch, serial);
            }
        }
    }

    private static void Erase(byte[]? secret)
    {
        if (secret is not null)
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
