using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OpenChat.Engine.Crypto;

namespace OpenChat.Engine.Client.History;

/// <summary>
/// The two keys of the history store, both derived with HKDF from the identity's private key (as
/// the session's state key is, under other labels), so the file is exactly as protected as that
/// key: one seals each record with AES-GCM, the other turns a room's name into the opaque tag its
/// rows are indexed by (an HMAC, so the file names no room, yet a room's rows can be found).
/// </summary>
internal sealed class HistoryKeys : IDisposable
{
    public const int NonceLength = 12;
    public const int TagLength = 16;

    private static readonly byte[] Salt = "OpenChat v1 client history"u8.ToArray();
    private readonly byte[] _sealing;
    private readonly byte[] _rooms;

    public HistoryKeys(ReadOnlySpan<byte> identitySecret)
    {
        _sealing = Kdf.Hkdf(identitySecret, Salt, "records"u8, 32);
        _rooms = Kdf.Hkdf(identitySecret, Salt, "room tags"u8, 32);
    }

    /// <summary>The keys of a client's identity (its ECDSA private scalar).</summary>
    public static HistoryKeys Of(ChatClient client)
    {
        using var signing = client.Identity.GetECDsaPrivateKey() ?? throw new CryptoException("The identity has no ECDSA private key.");
        var secret = signing.ExportParameters(true).D!;
        try
        {
            return new HistoryKeys(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The room's index tag. Names are compared without case, as rooms are.</summary>
    public byte[] RoomTag(string room) => Kdf.Hmac(_rooms, Encoding.UTF8.GetBytes(room.ToLowerInvariant()));

    /// <summary>nonce ‖ ciphertext ‖ tag, bound to the row (<paramref name="roomTag"/>, <paramref name="sequence"/>):
    /// a record moved to another row, or another room, no longer opens.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> roomTag, ulong sequence)
    {
        var sealedRecord = new byte[NonceLength + plaintext.Length + TagLength];
        var nonce = sealedRecord.AsSpan(0, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        using var aead = new AesGcm(_sealing, TagLength);
        aead.Encrypt(nonce, plaintext, sealedRecord.AsSpan(NonceLength, plaintext.Length), sealedRecord.AsSpan(NonceLength + plaintext.Length), RowId(roomTag, sequence));
        return sealedRecord;
    }

    /// <exception cref="CryptographicException">Not sealed under this key for this row, or altered.</exception>
    public byte[] Open(ReadOnlySpan<byte> sealedRecord, ReadOnlySpan<byte> roomTag, ulong sequence)
    {
        if (sealedRecord.Length < NonceLength + TagLength)
        {
            throw new CryptographicException("The record is too short.");
        }

        var length = sealedRecord.Length - NonceLength - TagLength;
        var plaintext = new byte[length];
        using var aead = new AesGcm(_sealing, TagLength);
        aead.Decrypt(sealedRecord[..NonceLength], sealedRecord.Slice(NonceLength, length), sealedRecord[(NonceLength + length)..], plaintext, RowId(roomTag, sequence));
        return plaintext;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_sealing);
        CryptographicOperations.ZeroMemory(_rooms);
    }

    // The associated data: a label, the room's tag and the sequence (the row's key).
    private static byte[] RowId(ReadOnlySpan<byte> roomTag, ulong sequence)
    {
        var label = "openchat history row v1"u8;
        var id = new byte[label.Length + roomTag.Length + sizeof(ulong)];
        label.CopyTo(id);
        roomTag.CopyTo(id.AsSpan(label.Length));
        BinaryPrimitives.WriteUInt64BigEndian(id.AsSpan(label.Length + roomTag.Length), sequence);
        return id;
    }
}
