namespace OpenChat;

/// <summary>A certificate revocation list just signed and written by Export-ChatRevocationList.</summary>
public sealed class ChatRevocationList
{
    internal ChatRevocationList(Engine.Pki.RevocationList list, string filePath)
    {
        Number = list.Number;
        ThisUpdate = list.ThisUpdate;
        NextUpdate = list.NextUpdate;
        RevokedSerials = list.RevokedSerials.ToArray();
        FilePath = filePath;
    }

    public long Number { get; }

    public DateTimeOffset ThisUpdate { get; }

    public DateTimeOffset NextUpdate { get; }

    public int RevokedCount => RevokedSerials.Length;

    public string[] RevokedSerials { get; }

    /// <summary>The CRL file written (named so it does not bind to other cmdlets' -Path).</summary>
    public string FilePath { get; }
}
