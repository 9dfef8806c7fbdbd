using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

public sealed class GroupStateData
{
    public string Room { get; set; } = "";

    public ulong Epoch { get; set; }

    public DateTimeOffset EpochStarted { get; set; }

    public DateTimeOffset RoomClock { get; set; } = DateTimeOffset.MinValue;

    public ulong ServerEpoch { get; set; }

    public byte[] LastCommitHash { get; set; } = new byte[32];

    public List<string> Members { get; set; } = [];

    public List<string> DepartedSerials { get; set; } = [];

    public byte[]? EpochSecret { get; set; }

    public List<byte[]> Packages { get; set; } = [];

    public Dictionary<string, SenderChainData> Receiving { get; set; } = [];

    public Dictionary<string, uint> HighestGeneration { get; set; } = [];

    public SenderChainData? Sending { get; set; }

    public int SentInEpoch { get; set; }

    /// <summary>The serial this device is a member under while it renews to its current certificate.</summary>
    public string? RenewingFrom { get; set; }

    /// <summary>The room's policy (<see cref="RoomPolicy"/>) as of the current epoch.</summary>
    public bool Private { get; set; }

    public Dictionary<string, RoomRole> Roles { get; set; } = [];
}
