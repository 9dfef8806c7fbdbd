using System.Security.Cryptography;
using OpenChat.Engine.Crypto;

namespace OpenChat.Engine.Group;

/// <summary>
/// One sender's hash ratchet within an epoch: message key i = HMAC(chain key i, 0x01), chain
/// key i+1 = HMAC(chain key i, 0x02). Old chain keys are overwritten, so a key that leaks later
/// does not open earlier messages. A receiver keeps a bounded cache of skipped keys for late
/// messages and refuses to jump further ahead than <see cref="MaxJump"/>; a key is handed out
/// once, so a replayed message finds no key.
/// </summary>
public sealed class SenderChain
{
    public const int MaxSkipped = 1000;
    public const uint MaxJump = 5000;

    private readonly Dictionary<uint, byte[]> _skipped = [];
    private readonly Queue<uint> _skippedOrder = new();
    private byte[] _chainKey;

    public SenderChain(byte[] root)
    {
        _chainKey = root;
    }

    /// <summary>The next generation this chain will produce.</summary>
    public uint Next { get; private set; }

    public static SenderChain ForSender(byte[] epochSecret, string room, ulong epoch, string serial) =>
        new(Kdf.Hkdf(epochSecret, GroupLabels.SenderChain, GroupLabels.Context(room, epoch, serial), 32));

    /// <summary>Sending: the next generation and its key.</summary>
    public (uint Generation, byte[] Key) Advance()
    {
        var generation = Next;
        return (generation, Step());
    }

    /// <summary>Receiving: the key for <paramref name="generation"/>, or null if it was used
    /// already (a replay), evicted, or too far ahead.</summary>
    public byte[]? KeyFor(uint generation)
    {
        if (generation < Next)
        {
            return _skipped.Remove(generation, out var cached) ? cached : null;
        }

        if (generation - Next > MaxJump)
        {
            return null;
        }

        while (Next < generation)
        {
            var skipped = Next;
            Remember(skipped, Step());
        }

        return Step();
    }

    public int SkippedCount => _skipped.Count;

    /// <summary>What must be kept to continue this chain after a restart.</summary>
    public SenderChainData Export() => new()
    {
        ChainKey = (byte[])_chainKey.Clone(),
        Next = Next,
        Skipped = _skippedOrder.Where(_skipped.ContainsKey).Select(g => new SkippedKey { Generation = g, Key = _skipped[g] }).ToList(),
    };

    public static SenderChain Import(SenderChainData data)
    {
        var chain = new SenderChain((byte[])data.ChainKey.Clone()) { Next = data.Next };
        foreach (var skipped in data.Skipped)
        {
            chain.Remember(skipped.Generation, skipped.Key);
        }

        return chain;
    }

    /// <summary>Erases the chain key and every cached key (the epoch ended or this device left).</summary>
    public void Erase()
    {
        CryptographicOperations.ZeroMemory(_chainKey);
        foreach (var key in _skipped.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }

        _skipped.Clear();
        _skippedOrder.Clear();
    }

    private byte[] Step()
    {
        var (messageKey, next) = Kdf.Hmac(_chainKey, GroupLabels.MessageKey, GroupLabels.NextChainKey);
        CryptographicOperations.ZeroMemory(_chainKey);
        _chainKey = next;
        Next++;
        return messageKey;
    }

    private void Remember(uint generation, byte[] key)
    {
        _skipped[generation] = key;
        _skippedOrder.Enqueue(generation);
        while (_skipped.Count > MaxSkipped && _skippedOrder.TryDequeue(out var oldest))
        {
            if (_skipped.Remove(oldest, out var evicted))
            {
                CryptographicOperations.ZeroMemory(evicted);
            }
        }
    }
}

public sealed class SenderChainData
{
    public byte[] ChainKey { get; set; } = [];

    public uint Next { get; set; }

    public List<SkippedKey> Skipped { get; set; } = [];
}

public sealed class SkippedKey
{
    public uint Generation { get; set; }

    public byte[] Key { get; set; } = [];
}
