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
    /// <param name="publishedPackages">For a create: the key packages stored in the room so far
    /// (the committer's must be among them, as every member will check).</param>
    public static string? Refusal(Publish publish, string room, PeerIdentity publisher, Func<IEnumerable<byte[]>> publishedPackages)
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

        // A create is the one commit that, refused by the members, would leave a room with no
        // group for good (nobody may found a second one): it must be one every member accepts
        // as far as the server can tell, down to the committer's own published key package.
        return commit.Reason == CommitReason.Create ? CreateRefusal(commit, publisher, publishedPackages) : null;
    }

    private static string? CreateRefusal(Commit commit, PeerIdentity publisher, Func<IEnumerable<byte[]>> publishedPackages)
    {
        if (commit.Epoch != 1 || commit.ParentHash.Length != 32 || commit.ParentHash.Any(b => b != 0) || commit.Members.Count != 1)
        {
            return "a create commit must found epoch 1 on no parent and hold only its committer";
        }

        // Format 2 names the committer by its fresh key (the members check it); its package must still be in the room.
        var reference = commit.Members[0].PackageReference;
        var namesItsKey = commit.FormatVersion == Commit.Version && KeySchedule.KeyReference(commit.CommitterKey).AsSpan().SequenceEqual(reference);
        foreach (var body in publishedPackages())
        {
            try
            {
                var package = KeyPackage.Parse(body);
                if (string.Equals(package.Serial, publisher.Serial, StringComparison.OrdinalIgnoreCase) && (namesItsKey || package.Reference.AsSpan().SequenceEqual(reference)))
                {
                    return null;
                }
            }
            catch (CryptoException)
            {
                // someone's malformed package: not the one looked for
            }
        }

        return "a create commit must name the committer's key package as published in the room (publish it first)";
    }
}
