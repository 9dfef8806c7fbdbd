using OpenChat.Engine.Client;

namespace OpenChat;

/// <summary>An enrolled identity (one certificate, one device) stored in a profile directory.</summary>
public sealed class ChatIdentity
{
    internal ChatIdentity(ChatProfile profile)
    {
        Name = profile.Name;
        UserName = profile.UserName;
        Server = profile.Server;
        CaFingerprint = Engine.Pki.CaDirectory.FormatFingerprint(profile.CaFingerprint);
        Path = profile.Path;
        using var certificate = profile.LoadPublicCertificate();
        Serial = certificate.SerialNumber;
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        Fingerprint = ContactBook.DeviceFingerprint(certificate);
        KeyEncrypted = profile.KeyEncrypted;
    }

    /// <summary>The profile's name, what -Identity takes: user@host-port.</summary>
    public string Name { get; }

    public string UserName { get; }

    public string Server { get; }

    public string CaFingerprint { get; }

    public string Serial { get; }

    public DateTimeOffset NotAfter { get; }

    /// <summary>The device's key fingerprint (SHA-256 of its public key), what contacts pin: a
    /// renewal with the same key keeps it, a new key changes it.</summary>
    public string Fingerprint { get; }

    public bool KeyEncrypted { get; }

    public string Path { get; }

    public override string ToString() => Name;
}
