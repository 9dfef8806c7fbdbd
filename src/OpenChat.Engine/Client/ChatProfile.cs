using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

/// <summary>
/// One identity on one server, in its own directory: the pinned CA, the user's certificate and
/// private key (owner-only, encrypted when a password was given), the server address, and the
/// client's state (last sequence read per room, unacknowledged messages).
/// The root of all profiles is $OPENCHAT_HOME, else ~/.openchat.
/// </summary>
public sealed partial class ChatProfile
{
    public const string HomeVariable = "OPENCHAT_HOME";
    public const string InfoFile = "profile.json";
    public const string CaFile = "ca.crt.pem";
    public const string CertificateFile = "identity.crt.pem";
    public const string KeyFile = "identity.key.pem";
    public const string StateFile = "state.json";
    public const string RevokedFile = "revoked.json";

    private ChatProfile(string path, ProfileInfo info)
    {
        Path = path;
        Info = info;
    }

    public string Path { get; }

    public string UserName => Info.UserName;

    public string Server => Info.Server;

    public byte[] CaFingerprint => Convert.FromHexString(Info.CaFingerprint);

    public string Name => System.IO.Path.GetFileName(Path);

    internal ProfileInfo Info { get; }

    public bool KeyEncrypted => CaKeyFile.IsEncrypted(File.ReadAllText(System.IO.Path.Combine(Path, KeyFile)));

    public static string DefaultRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(HomeVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment)
            ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".openchat")
            : fromEnvironment;
    }

    /// <summary>The directory name for a user on a server: "alice@chat.example.org-7443".</summary>
    public static string DirectoryName(string userName, string server)
    {
        var (host, port) = ServerNames.ParseAddress(server);
        return $"{UserNamePolicy.Normalize(userName)}@{host.Replace(':', '_')}-{port}";
    }

    public static IReadOnlyList<ChatProfile> List(string? root = null)
    {
        root ??= DefaultRoot();
        if (!Directory.Exists(root))
        {
            return [];
        }

        var profiles = new List<ChatProfile>();
        foreach (var directory in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            if (File.Exists(System.IO.Path.Combine(directory, InfoFile)))
            {
                try
                {
                    profiles.Add(Open(directory));
                }
                catch (OpenChatException)
                {
                    // A damaged profile is skipped in listings; opening it by name reports why.
                }
            }
        }

        return profiles;
    }

    /// <summary>Finds a profile by directory name or user name (which must then be unambiguous);
    /// with no name, the only profile there is.</summary>
    public static ChatProfile Find(string? identity, string? root = null)
    {
        root ??= DefaultRoot();
        if (identity is not null && Directory.Exists(identity) && File.Exists(System.IO.Path.Combine(identity, InfoFile)))
        {
            return Open(identity);
        }

        var all = List(root);
        var matches = identity is null
            ? all
            : all.Where(p => string.Equals(p.Name, identity, StringComparison.OrdinalIgnoreCase)
                || string.Equals(p.UserName, identity, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new OpenChatException(ErrorIds.ProfileNotFound, ErrorKind.NotFound, identity is null
                ? $"No OpenChat identity in '{root}'. Enroll first with Register-ChatUser -Invite <invite>."
                : $"No OpenChat identity '{identity}' in '{root}'. Get-ChatIdentity lists them; Register-ChatUser creates one."),
            _ => throw new OpenChatException(ErrorIds.ProfileAmbiguous, ErrorKind.InvalidArgument,
                $"Several identities match{(identity is null ? "" : $" '{identity}'")}: {string.Join(", ", matches.Select(m => m.Name))}. Name one with -Identity."),
        };
    }

    public static ChatProfile Open(string path)
    {
        var infoPath = System.IO.Path.Combine(path, InfoFile);
        if (!File.Exists(infoPath))
        {
            throw new OpenChatException(ErrorIds.ProfileNotFound, ErrorKind.NotFound, $"'{path}' is not an OpenChat identity.");
        }

        try
        {
            var info = JsonSerializer.Deserialize(File.ReadAllBytes(infoPath), ProfileJson.Default.ProfileInfo)
                ?? throw new JsonException("empty");
            return new ChatProfile(System.IO.Path.GetFullPath(path), info);
        }
        catch (JsonException e)
        {
            throw new OpenChatException(ErrorIds.ProfileNotFound, ErrorKind.InvalidData, $"The identity in '{path}' is damaged: {InfoFile} cannot be read.", e);
        }
    }

    /// <summary>Writes a new profile; refuses to overwrite an existing identity.</summary>
    internal static ChatProfile Create(string root, string server, string userName, X509Certificate2 ca, X509Certificate2 certificate, ECDsa key, ReadOnlySpan<char> password)
    {
        var path = System.IO.Path.Combine(root, DirectoryName(userName, server));
        if (File.Exists(System.IO.Path.Combine(path, InfoFile)))
        {
            throw new OpenChatException(ErrorIds.ProfileExists, ErrorKind.AlreadyExists,
                $"An identity for '{userName}' on {server} already exists in '{path}'. Remove it first if you want to enroll again.");
        }

        SecureFile.CreateDirectory(root);
        SecureFile.CreateDirectory(path);
        SecureFile.WriteAllText(System.IO.Path.Combine(path, KeyFile), CaKeyFile.Export(key, password), overwrite: true);
        SecureFile.WriteAllText(System.IO.Path.Combine(path, CertificateFile), certificate.ExportCertificatePem(), overwrite: true);
        SecureFile.WriteAllText(System.IO.Path.Combine(path, CaFile), ca.ExportCertificatePem(), overwrite: true);
        var info = new ProfileInfo
        {
            UserName = userName,
            Server = server,
            CaFingerprint = Convert.ToHexStringLower(SHA256.HashData(ca.RawData)),
            Serial = certificate.SerialNumber,
        };
        SecureFile.WriteAllBytes(System.IO.Path.Combine(path, InfoFile), JsonSerializer.SerializeToUtf8Bytes(info, ProfileJson.Default.ProfileInfo), overwrite: true);
        return new ChatProfile(path, info);
    }

    public X509Certificate2 LoadCaCertificate() => X509Certificate2.CreateFromPem(File.ReadAllText(System.IO.Path.Combine(Path, CaFile)));

    public X509Certificate2 LoadPublicCertificate() => X509Certificate2.CreateFromPem(File.ReadAllText(System.IO.Path.Combine(Path, CertificateFile)));

    /// <summary>The certificate with its private key, for mutual TLS.</summary>
    public X509Certificate2 LoadIdentity(ReadOnlySpan<char> password)
    {
        ECDsa key;
        try
        {
            ResumeKeyMove(password);
            key = CaKeyFile.Import(File.ReadAllText(System.IO.Path.Combine(Path, KeyFile)), password);
        }
        catch (OpenChatException e) when (e.ErrorId is ErrorIds.CaPasswordRequired or ErrorIds.CaPasswordWrong)
        {
            throw new OpenChatException(ErrorIds.ProfilePasswordWrong, ErrorKind.AuthenticationFailed,
                e.ErrorId == ErrorIds.CaPasswordRequired
                    ? $"The private key of '{Name}' is encrypted. Supply its password (-Password)."
                    : $"The password for '{Name}' is wrong.", e);
        }

        using (key)
        using (var certificate = LoadPublicCertificate())
        {
            // Through PKCS#12 so that SslStream on every platform can use the key for client auth.
            using var withKey = certificate.CopyWithPrivateKey(key);
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }
    }

    public ClientState LoadState() => LoadState(NullLogger.Instance);

    internal ClientState LoadState(ILogger log)
    {
        var path = System.IO.Path.Combine(Path, StateFile);
        if (!File.Exists(path))
        {
            return new ClientState();
        }

        try
        {
            return ClientState.Read(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            // A torn state file costs a re-read of history (deduplicated), never a lost message.
            ClientLog.StateUnreadable(log, e, path);
            return new ClientState();
        }
    }

    public void SaveState(ClientState state) =>
        SecureFile.WriteAllBytes(System.IO.Path.Combine(Path, StateFile), JsonSerializer.SerializeToUtf8Bytes(state, ProfileJson.Default.ClientState), overwrite: true);

    /// <summary>Certificate serials this client has seen on a revocation list it verified against
    /// the pinned CA. Kept outside the encrypted session state so that a fresh connection checks
    /// the server's certificate against them in the TLS handshake, before anything is sent (a
    /// revoked server key in someone else's hands gets neither Hello nor Enroll). Revocation is
    /// permanent, so the set only grows; its protection is the profile directory's (0700), the
    /// same as the pinned CA's.</summary>
    public IReadOnlyCollection<string> LoadRevokedSerials() => LoadRevokedSerials(NullLogger.Instance);

    internal IReadOnlyCollection<string> LoadRevokedSerials(ILogger log)
    {
        var path = System.IO.Path.Combine(Path, RevokedFile);
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), ProfileJson.Default.ListString) ?? [];
        }
        catch (JsonException e)
        {
            // A torn file: the encrypted session state holds the same serials and writes them back.
            ClientLog.RevokedListUnreadable(log, e, path);
            return [];
        }
    }

    private static readonly Lock RevokedGate = new();

    /// <summary>Adds serials to <see cref="LoadRevokedSerials"/>; writes only when something is new.</summary>
    public void RememberRevoked(IEnumerable<string> serials)
    {
        lock (RevokedGate)
        {
            var known = new SortedSet<string>(LoadRevokedSerials().Select(s => s.ToUpperInvariant()), StringComparer.Ordinal);
            var before = known.Count;
            known.UnionWith(serials.Select(s => s.ToUpperInvariant()));
            if (known.Count != before || !File.Exists(System.IO.Path.Combine(Path, RevokedFile)))
            {
                SecureFile.WriteAllBytes(System.IO.Path.Combine(Path, RevokedFile),
                    JsonSerializer.SerializeToUtf8Bytes(known.ToList(), ProfileJson.Default.ListString), overwrite: true);
            }
        }
    }

    internal sealed class ProfileInfo
    {
        public string UserName { get; set; } = "";

        public string Server { get; set; } = "";

        public string CaFingerprint { get; set; } = "";

        public string Serial { get; set; } = "";
    }

    [JsonSerializable(typeof(ProfileInfo))]
    [JsonSerializable(typeof(ClientState))]
    [JsonSerializable(typeof(List<string>))]
    [JsonSourceGenerationOptions(WriteIndented = true)]
    internal sealed partial class ProfileJson : JsonSerializerContext;
}

/// <summary>What a client remembers between runs.</summary>
public sealed class ClientState
{
    /// <summary>Per room, the last sequence the application has read.</summary>
    public Dictionary<string, ulong> LastRead { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Messages sent but not yet acknowledged, resent with the same id on reconnect.</summary>
    public List<OutboxEntry> Outbox { get; set; } = [];

    /// <summary>The deployment's nodes as the last Welcome listed them: where to reconnect.</summary>
    public List<string> Nodes { get; set; } = [];

    /// <summary>How many Welcomes in a row left each remembered node out (see NodeList): kept
    /// across runs, so a client that connects once per run still forgets a node removed for good.</summary>
    public Dictionary<string, int> NodesLeftOut { get; set; } = [];

    /// <summary>The state as saved, or <see cref="JsonException"/> when it is not JSON of this
    /// shape. A part that is null (edited by hand) is left out rather than met later as a null:
    /// the rest, unacknowledged messages above all, is kept.</summary>
    internal static ClientState Read(ReadOnlySpan<byte> json)
    {
        var state = JsonSerializer.Deserialize(json, ChatProfile.ProfileJson.Default.ClientState) ?? new ClientState();
        state.LastRead = new Dictionary<string, ulong>(state.LastRead ?? [], StringComparer.Ordinal);
        state.Outbox = [.. (state.Outbox ?? []).Where(e => e is { Room: not null, Body: not null })];
        state.Nodes = [.. (state.Nodes ?? []).Where(n => n is not null)];
        state.NodesLeftOut = state.NodesLeftOut ?? [];
        return state;
    }
}

public sealed class OutboxEntry
{
    public string Room { get; set; } = "";

    public Guid MessageId { get; set; }

    public Protocol.EventKind Kind { get; set; }

    public ulong Epoch { get; set; }

    public byte[] Body { get; set; } = [];
}
