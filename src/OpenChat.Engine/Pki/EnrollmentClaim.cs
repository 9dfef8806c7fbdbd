namespace OpenChat.Engine.Pki;

/// <summary>What an enrolling client sends instead of the invite: which invite, for whom, the
/// certificate request, and a proof of the secret bound to this connection and this request
/// (<see cref="InviteProof"/>). The secret itself never leaves the client.</summary>
public sealed record EnrollmentClaim(string InviteId, string UserName, string CertificateRequest, byte[] Proof)
{
    /// <summary>The client's side: signs the transcript for the server certificate seen in this
    /// handshake and the nonce the server sent on this connection.</summary>
    public static EnrollmentClaim Prove(InviteCode invite, string csrPem, ReadOnlySpan<byte> serverCertificateHash, ReadOnlySpan<byte> nonce)
    {
        var transcript = InviteProof.Transcript(invite.Id, invite.UserName, serverCertificateHash, nonce, csrPem);
        return new EnrollmentClaim(invite.Id, invite.UserName, csrPem, InviteProof.Sign(invite.Secret, invite.Id, transcript));
    }
}
