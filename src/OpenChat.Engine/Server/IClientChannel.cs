using System.Collections.Concurrent;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Server;

/// <summary>
/// What the room side needs of one client's connection, and nothing of how frames reach it:
/// the router, the directory, presence, history and fan-out see only this, so they run in a
/// test against a channel that records frames, with no TLS and no socket.
/// </summary>
internal interface IClientChannel
{
    /// <summary>Null on an enrollment connection (no client certificate).</summary>
    PeerIdentity? Identity { get; }

    string UserName { get; }

    /// <summary>The peer's address as logs show it ("" when there is none).</summary>
    string RemoteAddress { get; }

    TokenBucket Publishes { get; }

    TokenBucket PublishedBytes { get; }

    TokenBucket Requests { get; }

    /// <summary>Rooms this channel receives live events for (another user's reader adds a
    /// direct room here, hence concurrent).</summary>
    ConcurrentDictionary<string, byte> Subscriptions { get; }

    bool IsClosed { get; }

    /// <summary>Cancelled when the channel closes: ends waits made on its behalf.</summary>
    CancellationToken Closing { get; }

    /// <summary>Queues a frame (or a packed chunk of frames); false when the channel is closed
    /// or too slow to take it, in which case it has closed itself.</summary>
    bool Send(byte[] frame);

    void Send(IMessage message);

    /// <summary>Says goodbye with a reason (an <see cref="ErrorIds"/> code) and closes.</summary>
    void Close(string code, string message);
}
