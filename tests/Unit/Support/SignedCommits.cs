using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Client;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Support;

/// <summary>Commits a raw protocol client can publish: well formed, for the room, and signed by
/// whatever key the test chooses under whichever committer it names (its own device by default).
/// Each client has one key package, which <see cref="PublishPackageAsync"/> puts in a room (a
/// create commit is refused unless the committer's package is there).</summary>
public static class SignedCommits
{
    private static readonly ConditionalWeakTable<ChatClient, KeyPackage> Packages = [];

    public static KeyPackage PackageOf(ChatClient client) => Packages.GetValue(client, c =>
    {
        using var agreement = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return KeyPackage.Create(c.Identity, c.Identity.GetECDsaPrivateKey()!, agreement, DateTimeOffset.UtcNow);
    });

    public static Task<ulong> PublishPackageAsync(ChatClient client, string room) =>
        client.PublishAsync(room, PackageOf(client).ToBytes(), EventKind.Key);

    public static byte[] For(ChatClient by, string room, CommitReason reason, string? committerSerial = null, ECDsa? signWith = null,
        ulong epoch = 1, byte[]? parentHash = null, KeyPackage? package = null)
    {
        var key = by.Identity.GetECDsaPrivateKey()!;
        var (commit, secret) = Commit.CreateLegacy(room, epoch, parentHash ?? new byte[32], committerSerial ?? by.Identity.SerialNumber, signWith ?? key, reason,
            [package ?? PackageOf(by)]);
        CryptographicOperations.ZeroMemory(secret);
        return commit.ToBytes();
    }
}
