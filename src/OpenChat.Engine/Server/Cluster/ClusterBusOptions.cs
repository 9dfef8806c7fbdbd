namespace OpenChat.Engine.Server.Cluster;

/// <summary>How often a <see cref="ClusterRoomEventBus"/> looks at the database, and how much it
/// holds back for the bus.</summary>
public sealed class ClusterBusOptions
{
    /// <summary>How often the rooms with local subscribers are compared with the store while there
    /// is no bus (no NATS URL, or the connection is down): the database is then the only path.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The same comparison while the bus is up: it only repairs what the bus lost.</summary>
    public TimeSpan SafetyPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the rooms with local subscribers are read from the store again while the
    /// bus is down (other nodes' membership changes are not announced then).</summary>
    public TimeSpan MembershipPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the rooms with local subscribers are read again while the bus is up: a
    /// room change announced on the bus can be lost (at most once), and nothing else would repair
    /// this node's cached members until the next change.</summary>
    public TimeSpan MembershipSafetyInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages waiting to go out on the bus; past this they are dropped (the poll repairs).</summary>
    public int OutgoingQueueSize { get; set; } = 4096;

    /// <summary>A committed batch whose events are larger than this goes out without them (only its
    /// sequences): the other nodes read it from the store. Below NATS's default payload limit of 1 MB.</summary>
    public int MaxEventBytes { get; set; } = 512 * 1024;

    /// <summary>How long to wait before trying the first connection to NATS again when it fails
    /// (after a first success, the NATS client reconnects by itself).</summary>
    public TimeSpan ConnectRetryInterval { get; set; } = TimeSpan.FromSeconds(1);
}
