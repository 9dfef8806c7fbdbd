namespace OpenChat.Engine.Protocol;

public static class ChatProtocol
{
    /// <summary>The protocol version this build speaks (client and server).</summary>
    // 3: CreateRoom (Join no longer creates), the file frames and the File content type.
    // 4: certificate renewal (RenewCertificate/CertificateRenewed), CA rollover (GetRevocationLists,
    //    RevocationLists, CaRoots), key packages version 2 (a key handover) and the Renew commit.
    public const ushort Version = 4;
}
