using System.Text.Json.Serialization;
using OpenChat.Engine.Group;

namespace OpenChat.Engine.Client;

/// <summary>What the session's encrypted state file (<see cref="SecureSession.StateFile"/>) holds.</summary>
internal sealed class SessionStateFile
{
    public byte[] AgreementKey { get; set; } = [];

    public byte[]? Package { get; set; }

    public Dictionary<string, RoomData> Rooms { get; set; } = [];

    public List<SecureMessage> Undelivered { get; set; } = [];

    /// <summary>Messages queued and not yet acknowledged, as typed (encrypted when sent).</summary>
    public List<QueuedMessage> Outbox { get; set; } = [];

    /// <summary>The number of the newest revocation list accepted (decimal; empty before any).</summary>
    public string CrlNumber { get; set; } = "";

    /// <summary>Revoked serials whose date is not known (older state files).</summary>
    public List<string> Revoked { get; set; } = [];

    /// <summary>Revoked serials with the date the CA's list gave.</summary>
    public Dictionary<string, DateTimeOffset> RevokedAt { get; set; } = [];

    internal sealed class RoomData
    {
        public GroupStateData Group { get; set; } = new();

        public ulong ProcessedThrough { get; set; }
    }
}

[JsonSerializable(typeof(SessionStateFile))]
internal sealed partial class SessionJson : JsonSerializerContext;
