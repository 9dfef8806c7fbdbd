using System.Security.Cryptography;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Files;

namespace OpenChat.Tests.Unit.Files;

public class FileChunkCipherTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly Guid FileId = Guid.NewGuid();

    [Fact]
    public void A_chunk_decrypts_to_what_was_encrypted()
    {
        using var cipher = new FileChunkCipher(Key, FileId);
        var plaintext = RandomNumberGenerator.GetBytes(1000);
        var chunk = cipher.Encrypt(3, false, plaintext);
        Assert.Equal(1000 + FileChunkCipher.TagSize, chunk.Length);
        Assert.Equal(plaintext, cipher.Decrypt(3, false, chunk));
        Assert.Equal([], cipher.Decrypt(0, true, cipher.Encrypt(0, true, [])));
    }

    [Fact]
    public void A_flipped_byte_is_refused()
    {
        using var cipher = new FileChunkCipher(Key, FileId);
        var chunk = cipher.Encrypt(0, true, "hello file"u8);
        for (var i = 0; i < chunk.Length; i++)
        {
            var changed = (byte[])chunk.Clone();
            changed[i] ^= 0x01;
            Assert.Throws<CryptoException>(() => cipher.Decrypt(0, true, changed));
        }
    }

    [Fact]
    public void A_chunk_at_another_index_is_refused()
    {
        using var cipher = new FileChunkCipher(Key, FileId);
        var first = cipher.Encrypt(0, false, "first"u8);
        Assert.Throws<CryptoException>(() => cipher.Decrypt(1, false, first));
    }

    [Fact]
    public void A_file_cut_short_is_refused_because_its_last_chunk_is_not_final()
    {
        using var cipher = new FileChunkCipher(Key, FileId);
        var middle = cipher.Encrypt(1, false, "middle"u8);
        // Someone drops the real last chunk and announces one chunk fewer: this one is not final.
        Assert.Throws<CryptoException>(() => cipher.Decrypt(1, true, middle));
        var last = cipher.Encrypt(2, true, "last"u8);
        Assert.Throws<CryptoException>(() => cipher.Decrypt(2, false, last));
    }

    [Fact]
    public void A_chunk_of_another_file_is_refused_even_under_the_same_key()
    {
        using var other = new FileChunkCipher(Key, Guid.NewGuid());
        using var cipher = new FileChunkCipher(Key, FileId);
        var foreign = other.Encrypt(0, true, "from another file"u8);
        Assert.Throws<CryptoException>(() => cipher.Decrypt(0, true, foreign));
    }

    [Fact]
    public void A_chunk_under_another_key_or_too_short_is_refused()
    {
        using var cipher = new FileChunkCipher(Key, FileId);
        using var wrong = new FileChunkCipher(RandomNumberGenerator.GetBytes(32), FileId);
        Assert.Throws<CryptoException>(() => wrong.Decrypt(0, true, cipher.Encrypt(0, true, "x"u8)));
        Assert.Throws<CryptoException>(() => cipher.Decrypt(0, true, new byte[5]));
        Assert.Throws<CryptoException>(() => new FileChunkCipher(new byte[16], FileId));
    }

    [Fact]
    public void Fresh_keys_differ()
    {
        Assert.NotEqual(FileChunkCipher.NewKey(), FileChunkCipher.NewKey());
    }
}
