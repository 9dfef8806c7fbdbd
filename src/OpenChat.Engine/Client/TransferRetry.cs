using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>
/// How a file transfer rides out a dropped connection: a step that fails for a passing reason
/// (the connection, a timeout, a busy server) is tried again once the client is connected again,
/// after a short pause on the client's clock; a refusal, or the client closing for good, ends the
/// transfer. A step that keeps failing while connected gives up after a bounded number of tries.
/// </summary>
internal static class TransferRetry
{
    public const int MaxAttempts = 12;

    public static async Task<T> RunAsync<T>(ChatClient client, Guid fileId, Func<CancellationToken, Task<T>> step, ILogger log,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await step(cancellationToken).ConfigureAwait(false);
            }
            catch (OpenChatException e) when (Resumable(client, e, attempt, cancellationToken))
            {
                await PauseAsync(client, fileId, e, attempt, log, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static bool Resumable(ChatClient client, OpenChatException e, int attempt, CancellationToken cancellationToken) =>
        SecureOutbox.IsTransient(e) && e.ErrorId != ErrorIds.StaleEpoch && attempt < MaxAttempts
        && client.State != ChatClientState.Closed && !cancellationToken.IsCancellationRequested;

    /// <summary>Logs the interruption, waits a little (longer each time), then until connected.</summary>
    public static async Task PauseAsync(ChatClient client, Guid fileId, OpenChatException e, int attempt, ILogger log, CancellationToken cancellationToken)
    {
        FileLog.Interrupted(log, fileId, e.ErrorId);
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * attempt)), client.Time, cancellationToken).ConfigureAwait(false);
        await client.WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
    }
}
