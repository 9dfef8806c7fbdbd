namespace OpenChat.Engine.Server;

/// <summary>Places held per key (a user, an address), each key up to a cap. A key holding no
/// place is forgotten, so the table is never larger than the connections open. Thread-safe.</summary>
internal sealed class PlaceCounter<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, int> _held;

    public PlaceCounter(IEqualityComparer<TKey>? comparer = null) => _held = new Dictionary<TKey, int>(comparer);

    /// <summary>Keys holding at least one place.</summary>
    public int Keys
    {
        get
        {
            lock (_held)
            {
                return _held.Count;
            }
        }
    }

    public int Held(TKey key)
    {
        lock (_held)
        {
            return _held.GetValueOrDefault(key);
        }
    }

    /// <summary>Takes a place for <paramref name="key"/> unless it holds <paramref name="max"/> already.</summary>
    public bool TryTake(TKey key, int max)
    {
        lock (_held)
        {
            var held = _held.GetValueOrDefault(key);
            if (held >= max)
            {
                return false;
            }

            _held[key] = held + 1;
            return true;
        }
    }

    /// <summary>Gives back a place taken by <see cref="TryTake"/>; called once per place taken.</summary>
    public void Release(TKey key)
    {
        lock (_held)
        {
            if (_held.TryGetValue(key, out var held) && held > 1)
            {
                _held[key] = held - 1;
            }
            else
            {
                _held.Remove(key);
            }
        }
    }
}
