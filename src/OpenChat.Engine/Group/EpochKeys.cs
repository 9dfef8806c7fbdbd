using System.Security.Cryptography;

namespace OpenChat.Engine.Group;

/// <summary>
/// The current epoch's secrets as this device holds them: the epoch secret, its own sending
/// ratchet, one receiving ratchet per sender and the highest generation seen from each (to tell
/// a late message from a gap). A new epoch starts them afresh; leaving drops the keys.
/// </summary>
internal sealed class EpochKeys
{
    private readonly Dictionary<string, SenderChain> _receiving = new(Roster.SerialComparer);
    private readonly Dictionary<string, uint> _highestGeneration = new(Roster.SerialComparer);

    /// <summary>Null when this device holds no key for the epoch (not a member, or it left).</summary>
    public byte[]? Secret { get; private set; }

    public SenderChain? Sending { get; private set; }

    public int SentInEpoch { get; private set; }

    public IReadOnlyDictionary<string, SenderChain> Receiving => _receiving;

    public IReadOnlyDictionary<string, uint> HighestGeneration => _highestGeneration;

    public static EpochKeys Restore(GroupStateData data)
    {
        var keys = new EpochKeys
        {
            Secret = data.EpochSecret,
            Sending = data.Sending is null ? null : SenderChain.Import(data.Sending),
            SentInEpoch = data.SentInEpoch,
        };
        foreach (var (serial, chain) in data.Receiving)
        {
            keys._receiving[serial] = SenderChain.Import(chain);
        }

        foreach (var (serial, generation) in data.HighestGeneration)
        {
            keys._highestGeneration[serial] = generation;
        }

        return keys;
    }

    /// <summary>A new epoch: its secret (null when this device is not in it) and nothing received yet.</summary>
    public void Start(byte[]? secret, string room, ulong epoch, string ownSerial)
    {
        Secret = secret;
        _receiving.Clear();
        _highestGeneration.Clear();
        SentInEpoch = 0;
        Sending = secret is null ? null : SenderChain.ForSender(secret, room, epoch, ownSerial);
    }

    /// <summary>Counts a message this device sent in the epoch (it rotates after so many).</summary>
    public void CountSent() => SentInEpoch++;

    /// <summary>The receiving ratchet for <paramref name="senderSerial"/>, made from the epoch secret on first use.</summary>
    public SenderChain ReceivingFrom(string room, ulong epoch, string senderSerial)
    {
        if (!_receiving.TryGetValue(senderSerial, out var chain))
        {
            chain = SenderChain.ForSender(Secret ?? throw new InvalidOperationException("This device holds no key for the epoch."), room, epoch, senderSerial);
            _receiving[senderSerial] = chain;
        }

        return chain;
    }

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

    /// <summary>Drops the keys (this device left); the counters stay.</summary>
    public void Forget()
    {
        if (Secret is not null)
        {
            CryptographicOperations.ZeroMemory(Secret);
        }

        Secret = null;
        Sending = null;
        _receiving.Clear();
    }
}
