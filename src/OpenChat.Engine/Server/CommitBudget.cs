using System.Collections.Concurrent;

namespace OpenChat.Engine.Server;

/// <summary>Commits each user may publish, across all of the user's devices and connections
/// (reconnecting does not refill it). A commit changes the epoch for every member, so it gets a
/// budget far below the message rate: what honest clients need (joins, removals, rotations, new
/// rooms) and no more.</summary>
internal sealed class CommitBudget(double perMinute, double burst)
{
    private readonly ConcurrentDictionary<string, TokenBucket> _byUser = new(StringComparer.Ordinal);

    public bool TryTake(string normalizedUser)
    {
        var bucket = _byUser.GetOrAdd(normalizedUser, _ => new TokenBucket(perMinute / 60, burst));
        lock (bucket)
        {
            return bucket.TryTake();
        }
    }
}
