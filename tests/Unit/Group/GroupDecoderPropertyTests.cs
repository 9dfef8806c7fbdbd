using CsCheck;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Files;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Group;

/// <summary>
/// Bounded random runs over the end-to-end layer's decoders, which read what another member
/// (or the server) put in an event: any bytes give a value or the declared
/// <see cref="CryptoException"/> (a refused event), never another exception that would count as
/// a bug in the receiving loop; and the types with a public shape read back to what was written.
/// The frame codec's own runs are in CodecPropertyTests.
/// </summary>
public sealed class GroupDecoderPropertyTests
{
    private const long Runs = 3_000;

    /// <summary>Every decoder of event content, with the version bytes it knows: a random body
    /// behind a known version gets past the first check and exercises the fields.</summary>
    public static TheoryData<string> Decoders => new() { "envelope", "commit", "key package", "key handover", "attachment" };

    private static readonly Dictionary<string, (Func<byte[], object> Parse, byte[] Versions)> Table = new()
    {
        ["envelope"] = (b => Envelope.Parse(b), [Envelope.Version1, Envelope.Version]),
        ["commit"] = (b => Commit.Parse(b), [Commit.LegacyVersion, Commit.Version]),
        ["key package"] = (b => KeyPackage.Parse(b), [KeyPackage.LegacyVersion, KeyPackage.Version]),
        ["key handover"] = (b => KeyHandover.Parse(b), [KeyHandover.Version]),
        ["attachment"] = (b => FileAttachment.Parse(b), [FileAttachment.Version]),
    };

    private static readonly Gen<string> Name = Gen.String["abcdefghijklmnopqrstuvwxyz0123456789-_@+."];
    private static readonly Gen<byte[]> Blob = Gen.Byte.Array[0, 120];

    private static readonly Gen<Envelope> AnyEnvelope = Gen.Select(Name, Gen.ULong, Name, Name, Gen.UInt, Gen.Enum<ContentType>(), Gen.Byte.Array[0, 80], Blob)
        .Select(t => new Envelope(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, Fernet.ToBase64Url(t.Item7), t.Item8));

    private static readonly Gen<FileAttachment> AnyAttachment = Gen.Select(Gen.Guid, Gen.Char["abcdefghij.txt -"].Array[1, 60].Select(c => new string(c)),
            Gen.UInt[FileLimits.MinChunkSize, FileLimits.MaxChunkSize], Gen.ULong[0, 1UL << 36], Gen.Byte.Array[32], Gen.Byte.Array[FileChunkCipher.KeySize])
        .Select(t =>
        {
            var (id, name, chunkSize, size, hash, key) = t;
            return new FileAttachment(id, name.Trim().Length == 0 ? "f" : name, size, chunkSize, FileLimits.ChunkCount(size, chunkSize), hash, key);
        });

    private static void ValueOrDeclared(string decoder, byte[] bytes)
    {
        try
        {
            _ = Table[decoder].Parse(bytes);
        }
        catch (CryptoException)
        {
        }
        catch (Exception e)
        {
            Assert.Fail($"{decoder}: {e.GetType().Name} for {Convert.ToHexString(bytes)}: {e.Message}");
        }
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Any_bytes_give_a_value_or_a_refusal(string decoder)
    {
        Blob.Sample(bytes => ValueOrDeclared(decoder, bytes), iter: Runs);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Any_body_behind_a_known_version_gives_a_value_or_a_refusal(string decoder)
    {
        var versions = Table[decoder].Versions;
        Gen.Select(Gen.Int[0, versions.Length - 1], Gen.Byte.Array[0, 400])
            .Sample((v, body) => ValueOrDeclared(decoder, [versions[v], .. body]), iter: Runs);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Fields_whose_lengths_claim_more_than_there_is_are_refused(string decoder)
    {
        // A length prefix of nearly 4 GiB must be a refusal, not an allocation.
        foreach (var version in Table[decoder].Versions)
        {
            var bytes = PayloadWriter.Body().U8(version).U32(0xFFFF_FFF0).U32(0xFFFF_FFF0).ToBody();
            Assert.Throws<CryptoException>(() => Table[decoder].Parse(bytes));
        }
    }

    [Fact]
    public void An_unknown_version_is_refused_by_every_decoder()
    {
        foreach (var (parse, versions) in Table.Values)
        {
            var unknown = Enumerable.Range(0, 256).Select(v => (byte)v).First(v => !versions.Contains(v));
            Assert.Throws<CryptoException>(() => parse([unknown, 0, 0, 0, 0]));
        }
    }

    [Fact]
    public void Every_envelope_reads_back_to_itself_and_its_bytes()
    {
        AnyEnvelope.Sample(envelope =>
        {
            var bytes = envelope.ToBytes();
            var back = Envelope.Parse(bytes);
            Assert.Equal((envelope.Room, envelope.Epoch, envelope.Sender, envelope.SenderSerial, envelope.Generation, envelope.ContentType, envelope.Token),
                (back.Room, back.Epoch, back.Sender, back.SenderSerial, back.Generation, back.ContentType, back.Token));
            Assert.Equal(envelope.Signature, back.Signature);
            Assert.Equal(bytes, back.ToBytes());
        }, iter: Runs);
    }

    [Fact]
    public void A_damaged_envelope_gives_a_value_or_a_refusal()
    {
        Gen.Select(AnyEnvelope, Gen.Int[0, 10_000], Gen.Byte, Gen.Int[0, 2]).Sample((envelope, at, value, how) =>
        {
            var bytes = envelope.ToBytes();
            var i = at % bytes.Length;
            byte[] damaged = how switch
            {
                0 => [.. bytes[..i], (byte)(bytes[i] ^ (value | 1)), .. bytes[(i + 1)..]],
                1 => bytes[..i],
                _ => [.. bytes, value],
            };
            ValueOrDeclared("envelope", damaged);
            if (how == 2)
            {
                Assert.Throws<CryptoException>(() => Envelope.Parse(damaged));
            }
        }, iter: Runs);
    }

    [Fact]
    public void Every_attachment_reads_back_to_itself_and_a_damaged_one_gives_a_value_or_a_refusal()
    {
        Gen.Select(AnyAttachment, Gen.Int[0, 10_000], Gen.Byte).Sample((attachment, at, value) =>
        {
            var bytes = attachment.ToBytes();
            var back = FileAttachment.Parse(bytes);
            Assert.Equal((attachment.FileId, attachment.Name, attachment.Size, attachment.ChunkSize, attachment.ChunkCount),
                (back.FileId, back.Name, back.Size, back.ChunkSize, back.ChunkCount));
            Assert.Equal(attachment.Sha256, back.Sha256);
            Assert.Equal(attachment.Key, back.Key);
            Assert.Equal(bytes, back.ToBytes());

            var i = at % bytes.Length;
            ValueOrDeclared("attachment", [.. bytes[..i], (byte)(bytes[i] ^ (value | 1)), .. bytes[(i + 1)..]]);
            ValueOrDeclared("attachment", bytes[..i]);
        }, iter: Runs);
    }
}
