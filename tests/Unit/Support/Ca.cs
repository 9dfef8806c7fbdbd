using OpenChat.Engine.Pki;

namespace OpenChat.Tests.Unit.Support;

/// <summary>A throw-away CA in a temporary directory.</summary>
public sealed class Ca : IDisposable
{
    private readonly TempDirectory _temp = new();

    public Ca(TimeProvider? time = null, string password = "", CaKeyAlgorithm algorithm = CaKeyAlgorithm.P256)
    {
        Time = time ?? TimeProvider.System;
        Directory = CertificateAuthority.Create(_temp.Combine("data"), "Test CA", password, algorithm, time: Time);
        Authority = CertificateAuthority.Open(Directory, password, Time);
    }

    public TimeProvider Time { get; }

    public CaDirectory Directory { get; }

    public CertificateAuthority Authority { get; }

    public CertificateRegistry Registry => new(Directory, Time);

    public InviteBook Invites => new(Directory, Time);

    /// <summary>Issues and installs the server certificate (invites pin its key).</summary>
    public Ca WithServer()
    {
        Authority.IssueServer([], [], replaceInstalled: true).Certificate.Dispose();
        return this;
    }

    /// <summary>What a server's connection would hand the CA: this certificate hash and nonce
    /// stand in for one TLS connection.</summary>
    public static readonly byte[] ConnectionCertificateHash = System.Security.Cryptography.SHA256.HashData("server certificate"u8);

    public static readonly byte[] ConnectionNonce = System.Security.Cryptography.SHA256.HashData("connection nonce"u8);

    /// <summary>Enrolls as a client would on one connection: proves the secret for it and this CSR.</summary>
    public IssuedCertificate Enroll(InviteCode invite, string csrPem) =>
        Authority.Enroll(EnrollmentClaim.Prove(invite, csrPem, ConnectionCertificateHash, ConnectionNonce), ConnectionCertificateHash, ConnectionNonce);

    public void Dispose()
    {
        Authority.Dispose();
        _temp.Dispose();
    }
}
