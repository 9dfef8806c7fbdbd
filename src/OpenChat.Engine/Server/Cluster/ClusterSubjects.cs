using System.Text;

namespace OpenChat.Engine.Server.Cluster;

/// <summary>The NATS subjects of one deployment (<c>clusterId</c>): a room's name is carried as
/// the hex of its UTF-8 bytes, so no character of it can act as a subject separator or wildcard.</summary>
internal sealed class ClusterSubjects
{
    private readonly string _prefix;

    public ClusterSubjects(string clusterId)
    {
        if (clusterId.Length == 0 || clusterId.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_'))
        {
            throw new ArgumentException("A cluster id is letters, digits, '-' or '_' (it is part of every bus subject).", nameof(clusterId));
        }

        _prefix = $"openchat.{clusterId}.";
        Rooms = _prefix + "rooms";
        Revoked = _prefix + "revoked";
    }

    /// <summary>Room changed (created, member added or removed).</summary>
    public string Rooms { get; }

    /// <summary>Certificates revoked.</summary>
    public string Revoked { get; }

    /// <summary>Committed events of the room.</summary>
    public string Room(string room) => _prefix + "room." + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(room));

    /// <summary>Transient frames (presence) of the room.</summary>
    public string Presence(string room) => _prefix + "presence." + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(room));

    /// <summary>What a subject of this deployment carries, and for which room (null for the
    /// deployment-wide ones); null when it is not one of ours or not well formed.</summary>
    public (SubjectKind Kind, string? Room)? Parse(string subject)
    {
        if (subject == Rooms)
        {
            return (SubjectKind.RoomChanged, null);
        }

        if (subject == Revoked)
        {
            return (SubjectKind.Revoked, null);
        }

        if (!subject.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = subject.AsSpan(_prefix.Length);
        var dot = rest.IndexOf('.');
        if (dot < 0)
        {
            return null;
        }

        var kind = rest[..dot] switch
        {
            "room" => SubjectKind.Committed,
            "presence" => SubjectKind.Presence,
            _ => (SubjectKind?)null,
        };
        try
        {
            var name = new UTF8Encoding(false, true).GetString(Convert.FromHexString(rest[(dot + 1)..]));
            return kind is null ? null : (kind.Value, name);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }
}

internal enum SubjectKind
{
    Committed,
    Presence,
    RoomChanged,
    Revoked,
}
