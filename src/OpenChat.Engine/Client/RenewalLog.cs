using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>Events of a device renewing its place in its rooms' groups after its certificate was
/// renewed (2600s). Rooms, serials and reasons only.</summary>
internal static partial class RenewalLog
{
    [LoggerMessage(EventId = 2600, EventName = "SecureRenewalStarted", Level = LogLevel.Information,
        Message = "This device's certificate changed from {PreviousSerial} to {Serial}; renewing its place in {Rooms} room(s)")]
    public static partial void Started(ILogger log, string previousSerial, string serial, int rooms);

    [LoggerMessage(EventId = 2601, EventName = "SecureRoomRenewed", Level = LogLevel.Information,
        Message = "{Room}: this device's place in the group is renewed under {Serial}")]
    public static partial void RoomRenewed(ILogger log, string room, string serial);

    [LoggerMessage(EventId = 2602, EventName = "SecureRenewalRefused", Level = LogLevel.Warning,
        Message = "{Room}: the room's rules refused this device's renewal (its refusal is in the room's notices); it joins as a new device instead")]
    public static partial void Refused(ILogger log, string room);

    [LoggerMessage(EventId = 2603, EventName = "SecureRoomNotRenewed", Level = LogLevel.Warning,
        Message = "{Room}: this device's place could not be renewed now ({ExceptionType}); tried again on the next connection, entry or send")]
    public static partial void RoomNotRenewed(ILogger log, string room, string exceptionType);

    [LoggerMessage(EventId = 2604, EventName = "SecureRenewedKeyIgnored", Level = LogLevel.Warning,
        Message = "The renewed certificate {Serial} has another key than this session's; the session goes on as {CurrentSerial} until it is opened again")]
    public static partial void OtherKeyIgnored(ILogger log, string serial, string currentSerial);

    [LoggerMessage(EventId = 2605, EventName = "SecureIdentitySwitched", Level = LogLevel.Information,
        Message = "The session switched from certificate {PreviousSerial} to {Serial} while connected")]
    public static partial void Switched(ILogger log, string previousSerial, string serial);
}
