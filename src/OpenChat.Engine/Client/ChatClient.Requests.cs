using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Client;

/// <summary>Requests under tags, and publishes in outbox order on the current session.</summary>
public sealed partial class ChatClient
{
    // Called under _gate, so publishes reach a session in outbox order.
    private void SendPublish(Session? session, Outgoing outgoing)
    {
        if (session is null || session.IsDead || !_outbox.Contains(outgoing))
        {
            return; // resent after the reconnect
        }

        var tag = Interlocked.Increment(ref _nextTag);
        session.TrackPublish(tag, outgoing.Entry.MessageId);
        var e = outgoing.Entry;
        session.Send(new Publish(tag, e.Room, e.MessageId, e.Kind, e.Epoch, e.Body).ToFrame());
    }

    // A reply of another type under our tag is the server breaking the protocol: an error for
    // this request, never an exception of the wrong kind somewhere in a caller's loop.
    private async Task<T> RequestAsync<T>(Func<uint, IMessage> build, CancellationToken cancellationToken)
        where T : IMessage
    {
        var reply = await RequestAsync(build, cancellationToken).ConfigureAwait(false);
        return reply is T expected
            ? expected
            : throw new OpenChatException(ErrorIds.ProtocolViolation, ErrorKind.InvalidData,
                $"The server answered a request with {reply.GetType().Name} where {typeof(T).Name} was due.");
    }

    private async Task<IMessage> RequestAsync(Func<uint, IMessage> build, CancellationToken cancellationToken)
    {
        var session = _session;
        if (ClosedReason is not null)
        {
            throw Closed();
        }

        if (session is null || session.IsDead)
        {
            throw new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, "Not connected to the server right now; it is reconnecting. Try again shortly.");
        }

        var tag = Interlocked.Increment(ref _nextTag);
        var completion = session.Expect(tag);
        session.Send(build(tag).ToFrame());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            return await completion.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OpenChatException(ErrorIds.Timeout, ErrorKind.Unavailable, "The server did not answer in time.");
        }
    }
}
