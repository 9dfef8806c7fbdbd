using System.Security.Cryptography;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Files;

namespace OpenChat.Tests.Unit.Files;

public class FileAttachmentTests
{
    private static FileAttachment Valid(string name = "build.log", ulong size = 200_000, uint chunkSize = 65536, uint? count = null) =>
        new(Guid.NewGuid(), name, size, chunkSize, count ?? FileLimits.ChunkCount(size, chunkSize), RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void An_announcement_round_trips()
    {
        var sent = Valid();
        var read = FileAttachment.Parse(sent.ToBytes());
        Assert.Equal((sent.FileId, sent.Name, sent.Size, sent.ChunkSize, sent.ChunkCount), (read.FileId, read.Name, read.Size, read.ChunkSize, read.ChunkCount));
        Assert.Equal(sent.Sha256, read.Sha256);
        Assert.Equal(sent.Key, read.Key);
    }

    [Fact]
    public void A_size_that_does_not_match_the_chunks_is_refused()
    {
        Assert.Throws<CryptoException>(() => FileAttachment.Parse(Valid(size: 200_000, count: 3).ToBytes()));
        Assert.Throws<CryptoException>(() => FileAttachment.Parse(Valid(size: 10, chunkSize: 16).ToBytes()));
        Assert.Throws<CryptoException>(() => FileAttachment.Parse(Valid(size: 0, count: 0).ToBytes()));
    }

    [Fact]
    public void An_empty_or_overlong_name_is_refused()
    {
        Assert.Throws<CryptoException>(() => FileAttachment.Parse(Valid(name: "").ToBytes()));
        Assert.Throws<CryptoException>(() => FileAttachment.Parse(Valid(name: new string('a', 256)).ToBytes()));
        Assert.Equal(255, FileAttachment.Parse(Valid(name: new string('a', 255)).ToBytes()).Name.Length);
    }

    [Fact]
    public void A_short_key_or_hash_trailing_bytes_or_an_unknown_version_is_refused()
    {
        var good = Valid();
        Assert.Throws<CryptoException>(() => FileAttachment.Parse((good with { Key = new byte[16] }).ToBytes()));
        Assert.Throws<CryptoException>(() => FileAttachment.Parse((good with { Sha256 = new byte[20] }).ToBytes()));
        Assert.Throws<CryptoException>(() => FileAttachment.Parse([.. good.ToBytes(), 0]));
        var bytes = good.ToBytes();
        bytes[0] = 9;
        Assert.Throws<CryptoException>(() => FileAttachment.Parse(bytes));
        Assert.Throws<CryptoException>(() => FileAttachment.Parse(bytes.AsSpan(0, 10)));
    }

    [Fact]
    public void The_printed_form_never_shows_the_key()
    {
        var attachment = Valid();
        Assert.DoesNotContain(Convert.ToHexString(attachment.Key), attachment.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Key", attachment.ToString(), StringComparison.Ordinal);
    }
}
