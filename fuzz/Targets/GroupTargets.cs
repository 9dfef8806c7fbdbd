// What members put in a room's events, read by every other member: parsed, then used as the
// receiving client uses it before trusting anything (a package and a handover are verified
// against the fixture CA, so the certificate and signature checks are fuzzed too).
using System.Security.Cryptography;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Files;
using OpenChat.Engine.Group;

namespace OpenChat.Fuzz.Targets;

internal static class GroupTargets
{
    public static IEnumerable<DecoderTarget> All =>
    [
        new("envelopes", data => _ = Envelope.Parse(data).ToBytes(), IsCryptoRefusal, EnvelopeSeeds),
        new("commits", ReadCommit, IsCryptoRefusal, CommitSeeds),
        new("key-packages", VerifyPackage, IsCryptoRefusal, () => [.. WithoutCertificates(PackageSeeds())], PackageSeeds),
        new("handovers", VerifyHandover, IsCryptoRefusal, () => [.. WithoutCertificates(HandoverSeeds())], HandoverSeeds),
        new("attachments", data => _ = FileAttachment.Parse(data).ToBytes(), IsCryptoRefusal, AttachmentSeeds),
    ];

    private static bool IsCryptoRefusal(Exception e) => e is CryptoException;

    private static readonly byte[] Parent = SHA256.HashData("OpenChat fuzz: parent commit"u8);

    private static void ReadCommit(byte[] data)
    {
        var commit = Commit.Parse(data);
        _ = commit.Hash;
        _ = commit.Members.Select(m => m.SerialHex).ToList();
    }

    private static void VerifyPackage(byte[] data)
    {
        var package = KeyPackage.Parse(data);
        package.Verify(new MemberVerifier(FuzzFixture.Ca), FuzzFixture.At, out _);
        _ = package.Reference;
    }

    private static void VerifyHandover(byte[] data)
    {
        var handover = KeyHandover.Parse(data);
        handover.Verify(new MemberVerifier(FuzzFixture.Ca), FuzzFixture.AliceNext, out _);
        _ = handover.ToBytes();
    }

    private static IEnumerable<byte[]> EnvelopeSeeds()
    {
        var envelope = new Envelope("general", 3, "alice", FuzzFixture.Alice.SerialNumber, 7, ContentType.Text,
            Fernet.ToBase64Url(SHA256.HashData("token"u8)), Signatures.Sign(FuzzFixture.AliceKey, "signed"u8.ToArray()));
        return [envelope.ToBytes(), (envelope with { Format = Envelope.Version1 }).ToBytes()];
    }

    private static IEnumerable<byte[]> CommitSeeds()
    {
        var (legacy, _) = Commit.CreateLegacy("general", 1, Parent, FuzzFixture.Alice.SerialNumber, FuzzFixture.AliceKey, CommitReason.Create, [PackageFor()]);
        using var leaf = FuzzFixture.AgreementKey("OpenChat fuzz fixture: leaf");
        using var external = FuzzFixture.AgreementKey("OpenChat fuzz fixture: external");
        var current = legacy with
        {
            FormatVersion = Commit.Version,
            Epoch = 2,
            Reason = CommitReason.Add,
            CommitterKey = Signatures.PublicPoint(leaf),
            Policy = RoomPolicy.ForCreator("alice", isPrivate: true),
            ExternalKey = Signatures.PublicPoint(external),
            SealedExternalKey = RandomBytes("sealed", 61),
        };
        current = current with { Signature = Signatures.Sign(FuzzFixture.AliceKey, current.SignedPart()) };
        return [legacy.ToBytes(), current.ToBytes()];
    }

    private static KeyPackage PackageFor()
    {
        using var agreement = FuzzFixture.AgreementKey("OpenChat fuzz fixture: alice agreement");
        return KeyPackage.Create(FuzzFixture.Alice, FuzzFixture.AliceKey, agreement, FuzzFixture.At.AddDays(-1));
    }

    private static IEnumerable<byte[]> PackageSeeds()
    {
        using var agreement = FuzzFixture.AgreementKey("OpenChat fuzz fixture: alice agreement");
        var handover = KeyHandover.Create(FuzzFixture.Alice, FuzzFixture.AliceKey, FuzzFixture.AliceNextKey, FuzzFixture.Renewed);
        var first = KeyPackage.Create(FuzzFixture.Alice, FuzzFixture.AliceKey, agreement, FuzzFixture.At.AddDays(-1));
        var renewed = KeyPackage.Create(FuzzFixture.AliceNext, FuzzFixture.AliceNextKey, agreement, FuzzFixture.At.AddHours(-1), handover);
        var legacy = first with { FormatVersion = KeyPackage.LegacyVersion };
        legacy = legacy with { Signature = Signatures.Sign(FuzzFixture.AliceKey, legacy.SignedPart()) };
        return [first.ToBytes(), renewed.ToBytes(), legacy.ToBytes()];
    }

    private static IEnumerable<byte[]> HandoverSeeds() =>
        [KeyHandover.Create(FuzzFixture.Alice, FuzzFixture.AliceKey, FuzzFixture.AliceNextKey, FuzzFixture.Renewed).ToBytes()];

    // The committed seeds keep each field but put a few bytes where a certificate was.
    private static IEnumerable<byte[]> WithoutCertificates(IEnumerable<byte[]> seeds)
    {
        byte[][] certificates = [FuzzFixture.Alice.RawData, FuzzFixture.AliceNext.RawData];
        foreach (var seed in seeds)
        {
            var bytes = seed;
            foreach (var certificate in certificates)
            {
                var at = bytes.AsSpan().IndexOf(certificate);
                if (at >= 4)
                {
                    // The field is a 4-byte length and the DER; it becomes an empty field.
                    bytes = [.. bytes[..(at - 4)], 0, 0, 0, 0, .. bytes[(at + certificate.Length)..]];
                }
            }

            yield return bytes;
        }
    }

    private static IEnumerable<byte[]> AttachmentSeeds()
    {
        var small = new FileAttachment(new Guid("00112233-4455-6677-8899-aabbccddeeff"), "notes.txt", 5, FileLimits.MinChunkSize, 1,
            SHA256.HashData("hello"u8), RandomBytes("file key", FileChunkCipher.KeySize));
        var chunkSize = (uint)FileLimits.MaxChunkSize;
        var large = small with { Name = "photo.jpg", Size = 3 * chunkSize + 1, ChunkSize = chunkSize, ChunkCount = FileLimits.ChunkCount(3 * chunkSize + 1, chunkSize) };
        return [small.ToBytes(), large.ToBytes()];
    }

    // Not random: seeds are the same every time they are written.
    private static byte[] RandomBytes(string label, int length) => Kdf.Hkdf(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(label)), "fuzz"u8, ""u8, length);
}
