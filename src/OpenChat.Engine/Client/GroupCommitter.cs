using Microsoft.Extensions.Logging;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>What became of a commit this device published.</summary>
internal enum CommitResult
{
    /// <summary>Stored, came back and moved the group to its new epoch.</summary>
    Applied,

    /// <summary>Someone else committed first (the server refused it as built on an old epoch).</summary>
    Stale,

    /// <summary>Stored and came back, but this device's own group refused it: the epoch did not move.</summary>
    Refused,
}

/// <summary>
/// The one path by which this device changes a room's group: publish, wait for the pump to
/// process what came back, and on a stale epoch catch up on the commit that won. Callers hold
/// the room's send lock and decide what a lost race means for them.
/// </summary>
/// <remarks>A commit's keys (its joiner secret and this device's next leaf key) were recorded in
/// the room's group state when it was made: the state is saved before the commit leaves, so a
/// restart after it was stored still knows the epoch it makes (ratchet state saved before use).</remarks>
internal sealed class GroupCommitter(ChatClient client, PumpProgress progress, Func<bool> saveNow, ILogger log)
{
    public static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(30);

    public async Task<CommitResult> CommitAsync(RoomGroup group, byte[] body, ulong builtOn, CancellationToken cancellationToken, bool catchUpOnStale = true)
    {
        var epochBefore = group.Read(s => s.Epoch);
        if (!saveNow())
        {
            throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
                "The session's state could not be saved (disk full or not writable), so the change of the room's encryption was not published.");
        }

        try
        {
            var sequence = await client.PublishAsync(group.Room, body, EventKind.Commit, builtOn, cancellationToken: cancellationToken).ConfigureAwait(false);
            await WaitProcessedAsync(group, sequence, cancellationToken).ConfigureAwait(false);
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.StaleEpoch)
        {
            SecureLog.CommitRaced(log, group.Room, builtOn);
            if (catchUpOnStale)
            {
                await WaitForEpochAsync(group, builtOn, cancellationToken).ConfigureAwait(false);
            }

            return CommitResult.Stale;
        }

        return group.Read(s => s.Epoch) == epochBefore ? CommitResult.Refused : CommitResult.Applied;
    }

    /// <summary>Publishes a key package (this device's, or a contact's known one) and waits until it is processed.</summary>
    public async Task PublishPackageAsync(RoomGroup group, KeyPackage package, CancellationToken cancellationToken)
    {
        var sequence = await client.PublishAsync(group.Room, package.ToBytes(), EventKind.Key, 0, cancellationToken: cancellationToken).ConfigureAwait(false);
        await WaitProcessedAsync(group, sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes an encrypted message; null when its epoch went stale and
    /// <paramref name="retry"/> allows another attempt (the new epoch is then known).</summary>
    public async Task<ulong?> PublishMessageAsync(RoomGroup group, byte[] body, ulong epoch, Guid? messageId, bool retry, CancellationToken cancellationToken)
    {
        try
        {
            // A queued message keeps its id through every attempt, so the server stores it once.
            return await client.PublishAsync(group.Room, body, EventKind.Chat, epoch, messageId, cancellationToken).ConfigureAwait(false);
        }
        catch (OpenChatException e) when (e.ErrorId == ErrorIds.StaleEpoch && retry)
        {
            SecureLog.CommitRaced(log, group.Room, epoch);
            await WaitForEpochAsync(group, epoch, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    public Task WaitProcessedAsync(RoomGroup group, ulong sequence, CancellationToken cancellationToken) =>
        progress.WaitUntilAsync(() => group.ProcessedThrough >= sequence, CatchUpTimeout, ErrorIds.Timeout,
            "Timed out catching up with the room's history.", cancellationToken);

    public Task WaitForEpochAsync(RoomGroup group, ulong after, CancellationToken cancellationToken) =>
        progress.WaitUntilAsync(() => group.Read(s => s.ServerEpoch) > after, CatchUpTimeout, ErrorIds.Timeout,
            "Timed out waiting for the room's new epoch.", cancellationToken);
}
