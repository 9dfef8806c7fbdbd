using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Client;
using OpenChat.Engine.Group;

namespace OpenChat.Tests.Unit.Support;

/// <summary>Commits a raw protocol client can publish: well formed, for the room, and signed by
/// whatever key the test chooses under whichever committer it names (its own device by default).</summary>
public static class SignedCommits
{
    public static byte[] For(ChatClient by, string room, CommitReason reason, string? committerSerial = null, ECDsa? signWith = null)
    {
        using var agreement = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var key = by.Identity.GetECDsaPrivateKey()!;
        var package = KeyPackage.Create(by.Identity, key, agreement, DateTimeOffset.UtcNow);
        var (commit, secret) = Commit.Create(room, 1, new byte[32], committerSerial ?? by.Identity.SerialNumber, signWith ?? key, reason, [package]);
        CryptographicOperations.ZeroMemory(secret);
        return commit.ToBytes();
    }
}
