using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

public class PkiLogTests
{
    [Fact]
    public void The_ca_logs_what_it_issues_revokes_and_invites_but_never_an_invite_secret()
    {
        using var temp = new TempDirectory();
        var log = new PkiLogRecorder();
        var directory = CertificateAuthority.Create(temp.Combine("data"), "Logged CA", "", log: log);
        using var ca = CertificateAuthority.Open(directory, "", log: log);
        var server = ca.IssueServer([], []);
        server.Certificate.Dispose();
        var alice = ca.IssueClient("alice");
        alice.Certificate.Dispose();
        var book = new InviteBook(directory, log: log);
        var (bobInvite, bobCode) = book.Create("bob");
        var (carolInvite, _) = book.Create("carol");
        book.Revoke(carolInvite.Id);
        var claim = EnrollmentClaim.Prove(bobCode, Requests.EcP256("CN=bob"), Ca.ConnectionCertificateHash, Ca.ConnectionNonce);
        var bob = ca.Enroll(claim, Ca.ConnectionCertificateHash, Ca.ConnectionNonce);
        bob.Certificate.Dispose();
        new CertificateRegistry(directory, log: log).Revoke(alice.Record.Serial, X509RevocationReason.KeyCompromise);
        var crl = ca.CreateRevocationList(TimeSpan.FromDays(1));

        Assert.Contains("Logged CA", Assert.Single(log.Named("CaCreated")));
        var issued = log.Named("CertificateIssued");
        Assert.Equal(3, issued.Count);
        Assert.Contains(server.Record.Serial, issued[0]);
        Assert.Contains("Server", issued[0]);
        Assert.Contains("alice", issued[1]);
        Assert.Contains(alice.Record.Serial, issued[1]);
        Assert.Contains(bob.Record.Serial, issued[2]);
        Assert.Equal(2, log.Named("InviteCreated").Count);
        Assert.Contains(carolInvite.Id, Assert.Single(log.Named("InviteCancelled")));
        Assert.Contains(bobInvite.Id, Assert.Single(log.Named("InviteRedeemed")));
        var revoked = Assert.Single(log.Named("CertificateRevoked"));
        Assert.Contains(alice.Record.Serial, revoked);
        Assert.Contains(nameof(X509RevocationReason.KeyCompromise), revoked);
        Assert.Contains($"number {crl.Number}", Assert.Single(log.Named("RevocationListSigned")));
        Assert.All(log.Events, e => Assert.InRange(e.Id.Id, 4000, 4999));

        var secretForms = new[] { bobCode.ToString(), Convert.ToBase64String(bobCode.Secret), System.Buffers.Text.Base64Url.EncodeToString(bobCode.Secret), Convert.ToHexString(bobCode.Secret) };
        Assert.All(log.Events, e => Assert.DoesNotContain(secretForms, s => e.Text.Contains(s, StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public void Invites_cancelled_by_a_revocation_are_logged_one_by_one()
    {
        using var temp = new TempDirectory();
        var log = new PkiLogRecorder();
        var directory = CertificateAuthority.Create(temp.Combine("data"), "Logged CA", "");
        using var ca = CertificateAuthority.Open(directory, "");
        ca.IssueServer([], []).Certificate.Dispose();
        var dana = ca.IssueClient("dana");
        dana.Certificate.Dispose();
        var (second, _) = new InviteBook(directory).Create("dana", additionalDevice: true);

        var (_, cancelled) = new CertificateRegistry(directory, log: log).RevokeAndCancelInvites(dana.Record.Serial);

        Assert.Equal(second.Id, Assert.Single(cancelled).Id);
        Assert.Contains(second.Id, Assert.Single(log.Named("InviteCancelled")));
        Assert.Single(log.Named("CertificateRevoked"));
    }
}
