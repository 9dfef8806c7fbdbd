using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Server;

/// <summary>
/// What the server checks of a commit before it sequences one. It cannot open a commit (the
/// secrets are wrapped to the members), but it knows every certificate, so it can refuse what no
/// member would accept: bodies that are not commits, commits for another room, commits signed by
/// anyone but the publishing device, a second founding commit. Each stored commit moves the
/// room's epoch for everyone, so without this one member's junk could keep every other member's
/// messages stale for good.
/// </summary>
internal static class CommitScreen
{
    /// <summary>Why the commit is refused, or null when it may be sequenced.</summary>
    public static string? Refusal(Publish publish, string room, PeerIdentity publisher)
    {
        Commit commit;
        try
        {
            commit = Commit.Parse(publish.Body);
        }
        catch (CryptoException e)
        {
            return $"the body is not a commit ({e.Message})";
        }

        if (!string.Equals(commit.Room, room, StringComparison.Ordinal))
        {
            return "the commit is for another room";
        }

        if (!Enum.IsDefined(commit.Reason))
        {
            return "the commit has an unknown reason";
        }

        // Only the room's first commit founds its group, and every later one builds on it.
        if ((commit.Reason == CommitReason.Create) != (publish.Epoch == 0))
        {
            return commit.Reason == CommitReason.Create
                ? "the room already has an encrypted group; join it instead of creating another"
                : "the room has no encrypted group yet; only a create commit can start one";
        }

        if (!string.Equals(commit.CommitterSerial, publisher.Serial, StringComparison.OrdinalIgnoreCase))
        {
            return "the commit names another device as its committer";
        }

        var serials = commit.Members.Select(m => m.SerialHex).ToList();
        if (serials.Count == 0 || serials.Distinct(StringComparer.OrdinalIgnoreCase).Count() != serials.Count)
        {
            return "the commit's member list is empty or names a device twice";
        }

        if (!serials.Contains(publisher.Serial, StringComparer.OrdinalIgnoreCase))
        {
            return "the committer is not a member of the epoch it commits";
        }

        if (publisher.PublicPoint is not { } point || !Signatures.Verify(point, commit.SignedPart(), commit.Signature))
        {
            return "the commit is not signed by the publishing device's certificate key";
        }

        return null;
    }
}
