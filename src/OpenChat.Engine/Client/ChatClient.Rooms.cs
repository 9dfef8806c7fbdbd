using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>Joining and creating rooms. Joining never creates: a room that does not exist is
/// <see cref="ErrorIds.RoomNotFound"/>, worded with the nearest names the server lists.</summary>
public sealed partial class ChatClient
{
    /// <summary>Joins an existing room and starts receiving it from
    /// <paramref name="fromSequence"/>, else from after the last event read in an earlier run,
    /// else from its beginning. A missing room is <see cref="ErrorIds.RoomNotFound"/>.</summary>
    public Task<JoinedRoom> JoinAsync(string room, ulong? fromSequence = null, CancellationToken cancellationToken = default) =>
        JoinAsync(MessageType.Join, room, fromSequence, cancellationToken);

    /// <summary>Creates a room and joins it as its first member; an existing room is
    /// <see cref="ErrorIds.RoomExists"/>. The server's limits on new rooms apply.</summary>
    public Task<JoinedRoom> CreateRoomAsync(string room, CancellationToken cancellationToken = default) =>
        JoinAsync(MessageType.CreateRoom, room, null, cancellationToken);

    private async Task<JoinedRoom> JoinAsync(MessageType type, string room, ulong? fromSequence, CancellationToken cancellationToken)
    {
        room = RoomNames.Normalize(room);
        bool opened;
        lock (_gate)
        {
            opened = !_rooms.IsJoined(room);
            _rooms.Open(room, fromSequence);
        }

        try
        {
            var joined = await RequestAsync<Joined>(tag => new NameRequest(type, tag, room), cancellationToken).ConfigureAwait(false);
            return OnJoined(joined);
        }
        catch (OpenChatException e)
        {
            // A refusal ends only what this call began: creating a room one is already in (RoomExists)
            // must not stop receiving it.
            if (opened)
            {
                lock (_gate)
                {
                    _rooms.Close(room);
                }
            }

            if (e.ErrorId == ErrorIds.RoomNotFound && !RoomNames.IsDirect(room))
            {
                throw await RoomNotFoundAsync(room, e, cancellationToken).ConfigureAwait(false);
            }

            throw;
        }
    }

    // The suggestions come from the server's room list, the same one Get-ChatRoom shows, and
    // only names that are well-formed room names are repeated; the server's own wording is not.
    private async Task<OpenChatException> RoomNotFoundAsync(string room, OpenChatException refusal, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> suggestions = [];
        try
        {
            var listed = await ListRoomsAsync(cancellationToken).ConfigureAwait(false);
            suggestions = RoomSuggestions.Nearest(room, listed.Where(r => r.Kind == RoomKind.Room).Select(r => r.Name));
        }
        catch (OpenChatException e)
        {
            // Without the list the refusal still stands, just without "did you mean".
            _log.Failed(e, "client.room-suggestions");
        }

        return new OpenChatException(ErrorIds.RoomNotFound, ErrorKind.NotFound, RoomSuggestions.Describe(room, suggestions), refusal);
    }
}
