using OpenChat.Engine.Protocol;
using OpenChat.Engine.Server;
using Xunit;

namespace OpenChat.Tests.Unit.Support;

/// <summary>Room events as the wire carries them, for tests that write or read raw frames.</summary>
internal static class WireEvents
{
    /// <summary>One event as the server sends it alone: a chunk of its source and itself.</summary>
    public static byte[] Chunk(this RoomEvent e)
    {
        var batch = new EventBatch();
        batch.Add(e);
        return Assert.Single(batch.Chunks());
    }
}
