using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>Events of roles and private rooms on the client (2320–2339). Rooms and user names
/// only, never message text or keys.</summary>
internal static partial class RoomRolesLog
{
    [LoggerMessage(EventId = 2320, EventName = "RoomPolicyChanged", Level = LogLevel.Information,
        Message = "This device changed the policy of {Room} for {UserName}")]
    public static partial void PolicyChanged(ILogger log, string room, string userName);

    [LoggerMessage(EventId = 2321, EventName = "RoomJoinNotAllowed", Level = LogLevel.Information,
        Message = "Did not join the encrypted group of {Room}: its policy does not admit this user ({ErrorId})")]
    public static partial void JoinNotAllowed(ILogger log, string room, string errorId);
}
