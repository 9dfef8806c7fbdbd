namespace OpenChat.Engine.Client;

/// <summary>Wakes whoever waits for the pump (a sender waiting for its own commit to come back,
/// a join waiting to catch up) after each event it processed.</summary>
internal sealed class PumpProgress(CancellationToken closing)
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Advance() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits, woken after each event, until <paramref name="condition"/> holds (it reads
    /// a room through its gate), or fails with <paramref name="errorId"/> after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string errorId, string message, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closing);
        deadline.CancelAfter(timeout);
        while (true)
        {
            var progress = Volatile.Read(ref _next);
            if (condition())
            {
                return;
            }

            try
            {
                await progress.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new OpenChatException(errorId, ErrorKind.Unavailable, message);
            }
        }
    }

    /// <summary>Waits, woken after each event, until <paramref name="condition"/> holds, with no
    /// deadline: for what may take days (the other person of a direct conversation coming online
    /// for the first time); the caller cancels.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closing);
        while (true)
        {
            var progress = Volatile.Read(ref _next);
            if (condition())
            {
                return;
            }

            await progress.Task.WaitAsync(stop.Token).ConfigureAwait(false);
        }
    }
}
