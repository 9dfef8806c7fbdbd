using Microsoft.Extensions.Logging;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>
/// The requests of one connection that wait for the server's answer: each under a tag of its
/// own, completed by the reply carrying that tag, failed alone when it times out, and failed all
/// together when the connection ends (a reply can never arrive on another connection).
/// Publishes are tracked by tag too, so that an error under their tag finds the message.
/// </summary>
internal sealed class RequestTracker(TimeProvider time, ILogger log, uint firstTag = 0)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, TaskCompletionSource<IMessage>> _pending = [];
    private readonly Dictionary<uint, Guid> _publishes = [];
    private uint _lastTag = firstTag;
    private Exception? _failed;

    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>A fresh tag: never 0 (the server's own announcements carry 0) and never one
    /// still waiting, even after the counter wrapped.</summary>
    public uint NextTag()
    {
        lock (_gate)
        {
            do
            {
                _lastTag = unchecked(_lastTag + 1);
            }
            while (_lastTag == 0 || _pending.ContainsKey(_lastTag) || _publishes.ContainsKey(_lastTag));

            return _lastTag;
        }
    }

    /// <summary>Registers a request under <paramref name="tag"/>; on a connection that has
    /// ended it fails at once.</summary>
    public Task<IMessage> Expect(uint tag)
    {
        var completion = new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_failed is null)
            {
                _pending[tag] = completion;
                return completion.Task;
            }

            completion.TrySetException(_failed);
        }

        return completion.Task;
    }

    /// <summary>Waits for the request under <paramref name="tag"/>; past <paramref name="timeout"/>
    /// that request alone fails with <see cref="ErrorIds.Timeout"/>.</summary>
    public async Task<IMessage> WaitAsync(uint tag, Task<IMessage> reply, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await reply.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Forget(tag);
            ClientLog.RequestTimedOut(log, tag, (long)timeout.TotalMilliseconds);
            throw new OpenChatException(ErrorIds.Timeout, ErrorKind.Unavailable, "The server did not answer in time.");
        }
        catch (OperationCanceledException)
        {
            Forget(tag);
            throw;
        }
    }

    public bool Complete(uint tag, IMessage message) => Take(tag)?.TrySetResult(message) ?? false;

    public bool Fail(uint tag, Exception exception) => Take(tag)?.TrySetException(exception) ?? false;

    public void TrackPublish(uint tag, Guid messageId)
    {
        lock (_gate)
        {
            _publishes[tag] = messageId;
        }
    }

    public bool TakePublish(uint tag, out Guid messageId)
    {
        lock (_gate)
        {
            return _publishes.Remove(tag, out messageId);
        }
    }

    /// <summary>The connection ended: every waiting request fails with <paramref name="exception"/>,
    /// and so does any registered later.</summary>
    public void FailAll(Exception exception)
    {
        List<TaskCompletionSource<IMessage>> waiting;
        lock (_gate)
        {
            _failed ??= exception;
            waiting = [.. _pending.Values];
            _pending.Clear();
            _publishes.Clear();
        }

        foreach (var completion in waiting)
        {
            completion.TrySetException(exception);
        }
    }

    private void Forget(uint tag) => Take(tag);

    private TaskCompletionSource<IMessage>? Take(uint tag)
    {
        lock (_gate)
        {
            return _pending.Remove(tag, out var completion) ? completion : null;
        }
    }
}
