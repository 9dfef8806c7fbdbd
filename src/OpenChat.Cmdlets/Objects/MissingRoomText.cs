using OpenChat.Engine;
using OpenChat.Engine.Protocol;

namespace OpenChat;

/// <summary>The engine says a room does not exist (and which ones are near); the front end says
/// how to create it in its own words: New-ChatRoom for scripts, /create in the chat screen.</summary>
internal static class MissingRoomText
{
    /// <summary>A RoomNotFound about the room named <paramref name="target"/>, with the way to
    /// create it added; any other exception as it is.</summary>
    public static Exception WithCreateHint(Exception exception, object? target, Func<string, string> howToCreate)
    {
        if (exception is OpenChatException { ErrorId: ErrorIds.RoomNotFound } missing
            && target is string name
            && RoomNames.Normalize(name) is var room
            && RoomNames.IsValid(room)
            // Only the refusal of this very name: "the session joined no room" has no name to create.
            && missing.Message.StartsWith($"There is no room '{room}'.", StringComparison.Ordinal))
        {
            return new OpenChatException(missing.ErrorId, missing.Kind, $"{missing.Message} {howToCreate(room)}", missing);
        }

        return exception;
    }

    public static string NewChatRoom(string room) => $"Create it with New-ChatRoom -Name {room}.";
}
