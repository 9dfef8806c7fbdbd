using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenChat.Engine.Pki;

/// <summary>
/// The text an admin hands to a new user: "ocinvite1." followed by base64url JSON carrying the
/// server address, the CA's SHA-256 fingerprint (what the client pins), the invite id, the user
/// name and a 256-bit secret. The CA keeps only SHA-256 of the secret; with 256 bits of entropy
/// a fast hash is enough, since guessing is hopeless.
/// </summary>
public sealed partial record InviteCode(string Server, byte[] CaFingerprint, string Id, string UserName, byte[] Secret)
{
    public const string Prefix = "ocinvite1.";
    public const int SecretLength = 32;
    private const int MaxLength = 2048;

    public static byte[] HashSecret(ReadOnlySpan<byte> secret) => SHA256.HashData(secret);

    public override string ToString()
    {
        var payload = new Payload
        {
            Server = Server,
            Fingerprint = Convert.ToHexStringLower(CaFingerprint),
            Id = Id,
            User = UserName,
            Secret = Base64Url.EncodeToString(Secret),
        };
        return Prefix + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload, PayloadContext.Default.Payload));
    }

    /// <summary>Parses and checks the shape of an invite; whether it is still valid is the
    /// CA's decision.</summary>
    public static InviteCode Parse(string? text)
    {
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length > MaxLength || !trimmed.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw Malformed();
        }

        try
        {
            var json = Base64Url.DecodeFromChars(trimmed.AsSpan(Prefix.Length));
            var payload = JsonSerializer.Deserialize(json, PayloadContext.Default.Payload) ?? throw Malformed();
            var fingerprint = Convert.FromHexString(payload.Fingerprint ?? "");
            var secret = Base64Url.DecodeFromChars(payload.Secret ?? "");
            if (fingerprint.Length != 32 || secret.Length != SecretLength || string.IsNullOrEmpty(payload.Id)
                || payload.Id.Length > 64 || !UserNamePolicy.IsValid(payload.User))
            {
                throw Malformed();
            }

            ServerNames.ParseAddress(payload.Server);
            return new InviteCode(payload.Server!, fingerprint, payload.Id, payload.User!, secret);
        }
        catch (Exception e) when (e is FormatException or JsonException or OpenChatException { ErrorId: ErrorIds.ServerAddressInvalid })
        {
            throw Malformed();
        }
    }

    private static OpenChatException Malformed() =>
        new(ErrorIds.InviteMalformed, ErrorKind.InvalidData,
            $"This is not an OpenChat invite (it should start with '{Prefix}'). Copy the whole invite text you were given.");

    internal sealed class Payload
    {
        [JsonPropertyName("s")] public string? Server { get; set; }
        [JsonPropertyName("f")] public string? Fingerprint { get; set; }
        [JsonPropertyName("i")] public string? Id { get; set; }
        [JsonPropertyName("u")] public string? User { get; set; }
        [JsonPropertyName("k")] public string? Secret { get; set; }
    }

    [JsonSerializable(typeof(Payload))]
    internal sealed partial class PayloadContext : JsonSerializerContext;
}
