namespace OpenChat.Engine.Protocol;

public static class ChatProtocol
{
    /// <summary>The protocol version this build speaks (client and server).</summary>
    // 3: CreateRoom (Join no longer creates), the file frames and the File content type.
    // 4: certificate renewal (RenewCertificate/CertificateRenewed), CA rollover (GetRevocationLists,
    //    RevocationLists, CaRoots), key packages version 2 (a key handover) and the Renew commit.
    // 5: the group protocol v2: commits of format 2 (a committer key, the room policy, an external
    //    key), forward secrecy across epochs, private rooms and roles (Update and Manage commits).
    // 6: Welcome lists the deployment's live nodes (several nodes on one database, client failover).
    // 7: an event travels as a compact Event frame whose room, sender and sender serial are named
    //    once per packed chunk by an EventSource frame (a third of a small message's bytes before).
    public const ushort Version = 7;
}
