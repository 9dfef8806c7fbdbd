using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;

namespace OpenChat.Engine.Client;

/// <summary>What the session's encrypted state file (<see cref="SecureSession.StateFile"/>) holds.</summary>
internal sealed class SessionStateFile
{
    public byte[] AgreementKey { get; set; } = [];

    public byte[]? Package { get; set; }

    public Dictionary<string, RoomData> Rooms { get; set; } = [];

    public List<SecureMessage> Undelivered { get; set; } = [];

    /// <summary>Messages queued and not yet acknowledged, as typed (encrypted when sent).</summary>
    public List<QueuedMessage> Outbox { get; set; } = [];

    /// <summary>The number of the newest revocation list accepted (decimal; empty before any).</summary>
    public string CrlNumber { get; set; } = "";

    /// <summary>Revoked serials whose date is not known (older state files).</summary>
    public List<string> Revoked { get; set; } = [];

    /// <summary>Revoked serials with the date the CA's list gave.</summary>
    public Dictionary<string, DateTimeOffset> RevokedAt { get; set; } = [];

    /// <summary>The decrypted file read back. One that decrypts under the identity's key but does
    /// not read as a state (edited by hand, or cut by a disk) is refused with one
    /// <see cref="CryptoException"/>, never a null met later deep in the session.</summary>
    public static SessionStateFile Read(ReadOnlySpan<byte> json)
    {
        SessionStateFile? saved;
        try
        {
            saved = JsonSerializer.Deserialize(json, SessionJson.Default.SessionStateFile);
        }
        catch (JsonException)
        {
            throw Damaged("it is not a state of the expected shape");
        }

        if (saved is null || saved.AgreementKey is null || saved.Rooms is null || saved.Undelivered is null || saved.Outbox is null
            || saved.CrlNumber is null || saved.Revoked is null || saved.RevokedAt is null
            || saved.Rooms.Values.Any(r => r?.Group is null) || saved.Revoked.Any(s => s is null)
            || saved.Undelivered.Any(m => m is null || m.Room is null || m.Sender is null || m.SenderSerial is null || m.Text is null)
            || saved.Outbox.Any(m => m is null || m.Room is null || m.Text is null))
        {
            throw Damaged("a part of it is missing");
        }

        foreach (var (room, data) in saved.Rooms)
        {
            if (data.Group.MissingPart() is { } part)
            {
                throw Damaged($"{part} of room '{room}' is missing");
            }
        }

        // The serializer writes a null byte array as an empty one: that is no package.
        if (saved.Package is { Length: > 0 } package)
        {
            try
            {
                _ = KeyPackage.Parse(package);
            }
            catch (CryptoException)
            {
                throw Damaged("its key package does not read");
            }
        }

        return saved;
    }

    /// <summary>This device's key-agreement key, as saved: a P-256 private key or a refusal.</summary>
    public ECDiffieHellman ImportAgreementKey() =>
        P256PrivateKey.TryImport(AgreementKey, PrivateKeyEncoding.Pkcs8, out var problem) ?? throw Damaged($"its key-agreement key {problem}");

    private static CryptoException Damaged(string why) =>
        new($"The session state file ({SecureSession.StateFile}) decrypts but is damaged: {why}. Restore it from a backup, or move it aside to start this device's end-to-end state afresh.");

    internal sealed class RoomData
    {
        public GroupStateData Group { get; set; } = new();

        public ulong ProcessedThrough { get; set; }
    }
}

[JsonSerializable(typeof(SessionStateFile))]
internal sealed partial class SessionJson : JsonSerializerContext;
