using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server.Cluster;

/// <summary>
/// Proves that a bus message comes from a node of this deployment and was meant for the subject
/// it arrived on: an HMAC-SHA256 tag over the subject and the message, appended to the message.
/// Anyone on the NATS network can publish; without the tag a well-formed forged batch for a room's
/// next sequence reached that node's subscribers in the real one's place (clients refused it, and
/// the real event was then missing until they read history). The key is derived from the server's
/// private key, which every node holds a copy of and nothing else does; the cluster id in the
/// derivation keeps two deployments apart even if they shared a key.
/// </summary>
internal sealed class BusAuthenticator
{
    public const int TagLength = 32;
    private const int KeyLength = 32;
    private static readonly byte[] Salt = "openchat bus authentication v1"u8.ToArray();

    private readonly byte[] _key;

    public BusAuthenticator(ReadOnlySpan<byte> key)
    {
        if (key.Length < KeyLength)
        {
            throw new ArgumentException($"A bus key has at least {KeyLength} bytes.", nameof(key));
        }

        _key = key.ToArray();
    }

    /// <summary>The deployment's bus key, from the server's private key and the cluster id.</summary>
    public static BusAuthenticator FromServerKey(ECDsa serverKey, string clusterId)
    {
        var parameters = serverKey.ExportParameters(includePrivateParameters: true);
        var secret = parameters.D ?? throw new ArgumentException("The server key has no private part.", nameof(serverKey));
        try
        {
            var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, KeyLength, Salt, Encoding.UTF8.GetBytes(clusterId));
            try
            {
                return new BusAuthenticator(key);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The message with its tag for <paramref name="subject"/> appended.</summary>
    public byte[] Seal(string subject, byte[] body)
    {
        var sealedMessage = new byte[body.Length + TagLength];
        body.CopyTo(sealedMessage, 0);
        Tag(subject, body, sealedMessage.AsSpan(body.Length));
        return sealedMessage;
    }

    /// <summary>The message without its tag, once the tag is found right for <paramref name="subject"/>.</summary>
    /// <exception cref="ProtocolException">No tag, or not this deployment's for this subject.</exception>
    public ReadOnlySpan<byte> Open(string subject, byte[] payload)
    {
        if (payload.Length < TagLength)
        {
            throw new ProtocolException("A bus message too short to carry its tag.");
        }

        var body = payload.AsSpan(0, payload.Length - TagLength);
        Span<byte> expected = stackalloc byte[TagLength];
        Tag(subject, body, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, payload.AsSpan(body.Length)))
        {
            throw new ProtocolException("A bus message whose tag is wrong: not from a node of this deployment, or sent on another subject.");
        }

        return body;
    }

    private void Tag(string subject, ReadOnlySpan<byte> body, Span<byte> tag)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        var subjectBytes = Encoding.UTF8.GetBytes(subject);
        Span<byte> length = stackalloc byte[4];
        // The subject's length first, so no subject and body can be cut differently into the same bytes.
        BinaryPrimitives.WriteInt32BigEndian(length, subjectBytes.Length);
        hmac.AppendData(length);
        hmac.AppendData(subjectBytes);
        hmac.AppendData(body);
        hmac.GetHashAndReset(tag);
    }
}
