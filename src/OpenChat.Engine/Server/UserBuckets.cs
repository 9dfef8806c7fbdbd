namespace OpenChat.Engine.Server;

/// <summary>
/// One rate limit per user, shared by all of the user's connections and devices, so reconnecting
/// or opening more connections buys nothing. Bounded: at <c>capacity</c> users, buckets that have
/// refilled to their burst are forgotten first (a full bucket is the same as a new one, so nothing
/// is lost); if none has, the least recently used half goes, so a flood of names cannot grow it
/// without end. Thread-safe.
/// </summary>
internal sealed class UserBuckets(double ratePerSecond, double burst, TimeProvider time, int capacity = UserBuckets.DefaultCapacity)
{
    public const int DefaultCapacity = 100_000;

    private readonly Dictionary<string, Entry> _byUser = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Users with a bucket held (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byUser.Count;
            }
        }
    }

    /// <summary>Takes <paramref name="count"/> tokens from the user's bucket; false if the user is
    /// over the limit.</summary>
    public bool TryTake(string normalizedUser, double count = 1)
    {
        lock (_lock)
        {
            if (!_byUser.TryGetValue(normalizedUser, out var entry))
            {
                if (_byUser.Count >= capacity)
                {
                    Evict();
                }

                entry = new Entry(new TokenBucket(ratePerSecond, burst, time));
                _byUser[normalizedUser] = entry;
            }

            entry.LastUsed = time.GetTimestamp();
            return entry.Bucket.TryTake(count);
        }
    }

    private void Evict()
    {
        foreach (var (user, entry) in _byUser)
        {
            if (entry.Bucket.IsFull)
            {
                _byUser.Remove(user);
            }
        }

        if (_byUser.Count < capacity)
        {
            return;
        }

        foreach (var (user, _) in _byUser.OrderBy(pair => pair.Value.LastUsed).Take(Math.Max(1, _byUser.Count / 2)).ToList())
        {
            _byUser.Remove(user);
        }
    }

    private sealed class Entry(TokenBucket bucket)
    {
        public TokenBucket Bucket { get; } = bucket;

        public long LastUsed { get; set; }
    }
}
