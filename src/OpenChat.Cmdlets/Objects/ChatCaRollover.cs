using OpenChat.Engine.Pki;

namespace OpenChat;

/// <summary>What Update-ChatCertificateAuthority did: the new root, the one it replaced, and
/// when their overlap ends (the replaced root's expiry).</summary>
public sealed class ChatCaRollover
{
    internal ChatCaRollover(string path, CaRolloverResult result)
    {
        Path = path;
        Subject = result.Subject;
        Fingerprint = result.Fingerprint;
        NotAfter = result.NotAfter;
        PreviousSubject = result.PreviousSubject;
        PreviousFingerprint = result.PreviousFingerprint;
        OverlapEnds = result.OverlapEnds;
        ServerCertificateSerial = result.ServerCertificateSerial;
    }

    public string Path { get; }

    public string Subject { get; }

    /// <summary>SHA-256 of the new root: what invites made from now on carry.</summary>
    public string Fingerprint { get; }

    public DateTimeOffset NotAfter { get; }

    public string PreviousSubject { get; }

    public string PreviousFingerprint { get; }

    /// <summary>Until then clients that pin only the previous root still connect and learn the new one.</summary>
    public DateTimeOffset OverlapEnds { get; }

    /// <summary>The server certificate re-issued under the new root (null when none was installed).</summary>
    public string? ServerCertificateSerial { get; }

    public override string ToString() => $"{Subject} ({Fingerprint}), overlap until {OverlapEnds:u}";
}
