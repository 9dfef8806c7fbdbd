using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenChat.Engine.Pki;

/// <summary>
/// The text an admin hands to a new user: "ocinvite2." followed by base64url JSON carrying the
/// server address, the CA's SHA-256 fingerprint (what the client pins), the SHA-256 of the
/// server's TLS public key (SPKI) at the time the invite was made (so an old or stolen server
/// key cannot stand in for the server), the invite id, the user name and a 256-bit secret. The
/// secret never travels to the server: the client proves it holds it (<see cref="InviteProof"/>).
/// </summary>
public sealed partial record InviteCode(string Server, byte[] CaFingerprint, byte[] ServerKeyPin, string Id, string UserName, byte[] Secret)
{
    public const string Prefix = "ocinvite2.";
    public const string LegacyPrefix = "ocinvite1.";
    public const int SecretLength = 32;
    private const int MaxLength = 2048;

    /// <summary>SHA-256 over a certificate's SubjectPublicKeyInfo: what an invite pins.</summary>
    public static byte[] KeyPin(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());

    /// <summary>At most this many further nodes: an invite stays short enough to paste.</summary>
    public const int MaxOtherServers = 8;

    /// <summary>Further nodes of the same deployment (same CA, same server key), tried in order
    /// when <see cref="Server"/> cannot be reached.</summary>
    public IReadOnlyList<string> OtherServers { get; init; } = [];

    /// <summary>Every node the invite names, <see cref="Server"/> first.</summary>
    public IReadOnlyList<string> Servers => [Server, .. OtherServers];

    public override string ToString()
    {
        var payload = new Payload
        {
            Server = Server,
            Fingerprint = Convert.ToHexStringLower(CaFingerprint),
            ServerKey = Convert.ToHexStringLower(ServerKeyPin),
            Id = Id,
            User = UserName,
            Secret = Base64Url.EncodeToString(Secret),
            OtherServers = OtherServers.Count == 0 ? null : [.. OtherServers],
        };
        return Prefix + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload, PayloadContext.Default.Payload));
    }

    /// <summary>Parses and checks the shape of an invite; whether it is still valid is the
    /// CA's decision.</summary>
    public static InviteCode Parse(string? text)
    {
        var trimmed = text?.Trim() ?? "";
        if (trimmed.StartsWith(LegacyPrefix, StringComparison.Ordinal))
        {
            throw new OpenChatException(ErrorIds.InviteOutdated, ErrorKind.InvalidData,
                $"This invite is in an old format ('{LegacyPrefix}…') that does not name the server's key, so it cannot be used safely. Ask the admin for a new invite (it starts with '{Prefix}').");
        }

        if (!trimmed.StartsWith(Prefix, StringComparison.Ordinal))
        {
            // The start of the prefix alone is what is left of an invite cut short.
            throw trimmed.Length > 0 && Prefix.StartsWith(trimmed, StringComparison.Ordinal) ? Damaged() : NotAnInvite();
        }

        if (trimmed.Length > MaxLength)
        {
            throw Damaged();
        }

        try
        {
            var json = Base64Url.DecodeFromChars(trimmed.AsSpan(Prefix.Length));
            var payload = JsonSerializer.Deserialize(json, PayloadContext.Default.Payload) ?? throw Damaged();
            var fingerprint = Convert.FromHexString(payload.Fingerprint ?? "");
            var serverKey = Convert.FromHexString(payload.ServerKey ?? "");
            var secret = Base64Url.DecodeFromChars(payload.Secret ?? "");
            if (fingerprint.Length != 32 || serverKey.Length != 32 || secret.Length != SecretLength || string.IsNullOrEmpty(payload.Id)
                || payload.Id.Length > 64 || !UserNamePolicy.IsValid(payload.User))
            {
                throw Damaged();
            }

            ServerNames.ParseAddress(payload.Server);
            var others = payload.OtherServers ?? [];
            if (others.Count > MaxOtherServers)
            {
                throw Damaged();
            }

            foreach (var other in others)
            {
                ServerNames.ParseAddress(other);
            }

            return new InviteCode(payload.Server!, fingerprint, serverKey, payload.Id, payload.User!, secret) { OtherServers = [.. others] };
        }
        catch (Exception e) when (e is FormatException or JsonException or OpenChatException { ErrorId: ErrorIds.ServerAddressInvalid })
        {
            throw Damaged();
        }
    }

    private static OpenChatException NotAnInvite() =>
        new(ErrorIds.InviteMalformed, ErrorKind.InvalidData,
            $"This is not an OpenChat invite (it should start with '{Prefix}'). Copy the whole invite text you were given.");

    // Text that starts like an invite but does not decode is nearly always one cut short (a
    // line break in a mail, a selection that missed the end), so that is what it is called.
    private static OpenChatException Damaged() =>
        new(ErrorIds.InviteMalformed, ErrorKind.InvalidData,
            $"This OpenChat invite is truncated or damaged. Copy the whole invite text again: it is one line from '{Prefix}' to the end, without spaces or line breaks.");

    internal sealed class Payload
    {
        [JsonPropertyName("s")] public string? Server { get; set; }
        [JsonPropertyName("n")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<string>? OtherServers { get; set; }
        [JsonPropertyName("f")] public string? Fingerprint { get; set; }
        [JsonPropertyName("p")] public string? ServerKey { get; set; }
        [JsonPropertyName("i")] public string? Id { get; set; }
        [JsonPropertyName("u")] public string? User { get; set; }
        [JsonPropertyName("k")] public string? Secret { get; set; }
    }

    [JsonSerializable(typeof(Payload))]
    internal sealed partial class PayloadContext : JsonSerializerContext;
}
