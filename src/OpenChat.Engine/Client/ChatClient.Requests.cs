using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>Requests under tags, and publishes in outbox order on the current connection.</summary>
public sealed partial class ChatClient
{
    // Called under _gate, so publishes reach a connection in outbox order.
    private void SendPublish(ServerConnection? connection, PendingPublish publish)
    {
        if (connection is null || connection.IsDead || !_outbox.Contains(publish))
        {
            return; // resent after the reconnect
        }

        var tag = connection.Requests.NextTag();
        connection.Requests.TrackPublish(tag, publish.Entry.MessageId);
        var e = publish.Entry;
        connection.Send(new Publish(tag, e.Room, e.MessageId, e.Kind, e.Epoch, e.Body).ToFrame());
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

    private Task<IMessage> RequestAsync(Func<uint, IMessage> build, CancellationToken cancellationToken)
    {
        var connection = _connection;
        if (ClosedReason is not null)
        {
            throw Closed();
        }

        if (connection is null || connection.IsDead)
        {
            throw new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, "Not connected to the server right now; it is reconnecting. Try again shortly.");
        }

        return connection.RequestAsync(build, _options.ConnectTimeout, cancellationToken);
    }
}
