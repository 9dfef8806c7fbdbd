namespace OpenChat;

/// <summary>A certificate revocation list just signed and written by Export-ChatRevocationList.</summary>
public sealed class ChatRevocationList
{
    internal ChatRevocationList(Engine.Pki.RevocationList list, string path)
    {
        Number = list.Number;
        ThisUpdate = list.ThisUpdate;
        NextUpdate = list.NextUpdate;
        RevokedSerials = list.RevokedSerials.ToArray();
        Path = path;
    }

    public long Number { get; }

    public DateTimeOffset ThisUpdate { get; }

    public DateTimeOffset NextUpdate { get; }

    public int RevokedCount => RevokedSerials.Length;

    public string[] RevokedSerials { get; }

    public string Path { get; }
}
