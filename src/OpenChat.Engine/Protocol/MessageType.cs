namespace OpenChat.Engine.Protocol;

/// <summary>Every frame type of protocol version 1 (docs/protocol.md). Values below 0x80 go from
/// client to server, values from 0x80 up from server to client.</summary>
public enum MessageType : byte
{
    Hello = 0x01,
    Enroll = 0x02,
    ListRooms = 0x10,
    Join = 0x11,
    Leave = 0x12,
    OpenDirect = 0x13,
    ListMembers = 0x14,
    History = 0x15,
    GetRevocations = 0x16,

    /// <summary>Creates a room and joins it (reply Joined); Join alone never creates one.</summary>
    CreateRoom = 0x17,

    /// <summary>The revocation list of every root still valid (reply RevocationLists; CA rollover).</summary>
    GetRevocationLists = 0x1A,
    /// <summary>Renews the connection's own certificate (reply CertificateRenewed).</summary>
    RenewCertificate = 0x18,
    Publish = 0x20,
    Ping = 0x30,
    FileBegin = 0x40,
    FileChunk = 0x41,
    FileStatus = 0x42,
    FileComplete = 0x43,
    FileFetch = 0x44,

    Welcome = 0x81,
    Enrolled = 0x82,
    Error = 0x83,
    RoomList = 0x90,
    Joined = 0x91,
    Left = 0x92,
    MemberList = 0x94,
    HistoryEnd = 0x95,
    Revocations = 0x96,
    RevocationLists = 0x99,
    CertificateRenewed = 0x97,
    Ack = 0xA0,
    Event = 0xA1,
    Presence = 0xA2,

    /// <summary>Names the room, sender and certificate of the events after it (protocol 7).</summary>
    EventSource = 0xA4,

    /// <summary>Pushed after Welcome during a CA rollover's overlap: roots with their cross-certificates.</summary>
    CaRoots = 0xA3,
    Pong = 0xB0,
    FileBegun = 0xC0,
    FileChunkStored = 0xC1,
    FileState = 0xC2,
    FileCompleted = 0xC3,
    FileChunkData = 0xC4,
    Bye = 0xB1,
}

/// <summary>What a room event carries. The server routes on it but never reads the body.</summary>
public enum EventKind : byte
{
    /// <summary>A chat message (an end-to-end encrypted envelope once that layer exists).</summary>
    Chat = 1,

    /// <summary>A membership or key commit: ordered by epoch; one built on a stale epoch is refused.</summary>
    Commit = 2,

    /// <summary>A member's published key material.</summary>
    Key = 3,
}
