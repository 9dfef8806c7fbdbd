using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

/// <summary>The CA's renewal of users' certificates: what renews, what never does, and what is recorded.</summary>
public class ClientRenewalTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static byte[] Spki(X509Certificate2 certificate) => certificate.PublicKey.ExportSubjectPublicKeyInfo();

    private static string Csr(string subject, ECDsa key) =>
        new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

    [Fact]
    public void A_renewal_keeps_the_user_and_the_key_gives_a_new_serial_and_the_same_lifetime_and_is_recorded()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        using var first = ca.Authority.IssueClient("alice", 90).Certificate;
        time.Advance(TimeSpan.FromDays(61));

        var renewed = ca.Authority.RenewClient(first);
        using var certificate = renewed.Certificate;
        Assert.NotEqual(first.SerialNumber, certificate.SerialNumber);
        Assert.Equal(Spki(first), Spki(certificate));
        Assert.Equal("alice", certificate.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal(time.Now + TimeSpan.FromDays(90), renewed.Record.NotAfter);
        Assert.False(certificate.HasPrivateKey);
        Assert.Equal(first.SerialNumber, renewed.Record.RenewedFrom);

        var old = ca.Directory.Store.GetCertificate(first.SerialNumber)!;
        Assert.Equal(renewed.Record.Serial, old.RenewedBy);
        Assert.Equal(first.SerialNumber, ca.Directory.Store.GetCertificate(renewed.Record.Serial)!.RenewedFrom);
    }

    [Fact]
    public void A_renewal_never_outlives_the_CA()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        var caEnd = new DateTimeOffset(ca.Directory.Certificate.NotAfter.ToUniversalTime());
        time.Now = caEnd.AddDays(-200);
        using var first = ca.Authority.IssueClient("alice", 365).Certificate;
        time.Advance(TimeSpan.FromDays(190));
        var renewed = ca.Authority.RenewClient(first);
        renewed.Certificate.Dispose();
        Assert.Equal(new DateTimeOffset(ca.Directory.Certificate.NotAfter.ToUniversalTime()), renewed.Record.NotAfter);
    }

    [Fact]
    public void A_lifetime_cut_at_the_end_of_its_root_is_not_repeated_by_its_renewals()
    {
        // Issued twenty days before the root ends, a year's certificate gets twenty days; under
        // the next root its renewal must get a year again, not twenty days for ever.
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        var caEnd = new DateTimeOffset(ca.Directory.Certificate.NotAfter.ToUniversalTime());
        time.Now = caEnd.AddDays(-20);
        using var cut = ca.Authority.IssueClient("alice", 365).Certificate;
        var record = ca.Directory.Store.GetCertificate(cut.SerialNumber)!;

        Assert.Equal(TimeSpan.FromDays(CertificateAuthority.DefaultClientValidDays), ClientRenewal.Lifetime(record, caEnd));
        Assert.True(ClientRenewal.Lifetime(record) <= TimeSpan.FromDays(20));
        using var whole = ca.Authority.IssueClient("bob", 10).Certificate;
        Assert.Equal(TimeSpan.FromDays(10), ClientRenewal.Lifetime(ca.Directory.Store.GetCertificate(whole.SerialNumber)!, caEnd));
    }

    [Fact]
    public void A_renewal_with_a_CSR_moves_the_certificate_to_the_new_key()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var first = ca.Authority.IssueClient("alice", 30).Certificate;
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var renewed = ca.Authority.RenewClient(first, Csr("CN=alice", next)).Certificate;
        Assert.Equal(next.ExportSubjectPublicKeyInfo(), Spki(renewed));
    }

    [Fact]
    public void A_CSR_for_another_user_or_a_weak_key_is_refused_and_nothing_is_stored()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var first = ca.Authority.IssueClient("alice", 30).Certificate;
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(ErrorIds.CsrSubjectMismatch, Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(first, Csr("CN=mallory", next))).ErrorId);
        Assert.Equal(ErrorIds.CsrKeyNotAllowed, Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(first, Requests.Rsa("CN=alice"))).ErrorId);
        Assert.Single(ca.Directory.Store.FindCertificates());
        Assert.Null(ca.Directory.Store.GetCertificate(first.SerialNumber)!.RenewedBy);
    }

    [Fact]
    public void A_revoked_certificate_is_refused_renewal_naming_the_revocation()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var first = ca.Authority.IssueClient("alice", 30).Certificate;
        ca.Registry.Revoke(first.SerialNumber, X509RevocationReason.KeyCompromise);
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(first));
        Assert.Equal(ErrorIds.RenewalOfRevokedCertificate, e.ErrorId);
        Assert.Contains("revoked", e.Message, StringComparison.Ordinal);
        Assert.Single(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void A_certificate_that_was_renewed_cannot_renew_again_to_another_key_so_an_old_key_cannot_fork_the_device()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var first = ca.Authority.IssueClient("alice", 30).Certificate;
        using var second = ca.Authority.RenewClient(first).Certificate;
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(first, Csr("CN=alice", other)));
        Assert.Equal(ErrorIds.CertificateAlreadyRenewed, e.ErrorId);
        Assert.Contains(second.SerialNumber, e.Message, StringComparison.Ordinal);
        // The newest one renews.
        ca.Authority.RenewClient(second).Certificate.Dispose();
        Assert.Equal(3, ca.Directory.Store.FindCertificates().Count);
    }

    [Fact]
    public void A_certificate_not_issued_here_or_a_server_certificate_is_refused()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var other = new Ca(new ManualTime(Start));
        using var foreign = other.Authority.IssueClient("alice", 30).Certificate;
        Assert.Equal(ErrorIds.CertificateNotFromCa, Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(foreign)).ErrorId);
        using var server = ca.Authority.IssueServer([], [], install: false).Certificate;
        Assert.Equal(ErrorIds.CertificateNotFromCa, Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(server)).ErrorId);
        Assert.Single(ca.Directory.Store.FindCertificates());
    }

    [Fact]
    public void A_certificate_with_a_known_serial_but_other_contents_is_refused()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var genuine = ca.Authority.IssueClient("alice", 30).Certificate;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new CertificateRequest("CN=alice", key, HashAlgorithmName.SHA256);
        using var fake = forged.CreateSelfSigned(Start, Start.AddDays(30));
        using var sameSerial = forged.Create(fake.SubjectName, X509SignatureGenerator.CreateForECDsa(key), Start, Start.AddDays(30), genuine.GetSerialNumber());
        Assert.Equal(ErrorIds.CertificateNotFromCa, Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(sameSerial)).ErrorId);
    }

    [Fact]
    public void An_expired_certificate_renews_within_the_grace_window_and_not_after_it()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        using var first = ca.Authority.IssueClient("alice", 30).Certificate;
        using var second = ca.Authority.IssueClient("bob", 30).Certificate;
        time.Advance(TimeSpan.FromDays(30 + 29));
        ca.Authority.RenewClient(first).Certificate.Dispose();
        time.Advance(TimeSpan.FromDays(2));
        var e = Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(second));
        Assert.Equal(ErrorIds.RenewalWindowPassed, e.ErrorId);
        Assert.Contains("Register-ChatUser -Invite", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, ca.Directory.Store.FindCertificates().Count);
    }

    [Fact]
    public void A_grace_window_of_zero_renews_no_expired_certificate_and_a_negative_one_is_refused()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        using var first = ca.Authority.IssueClient("alice", 30).Certificate;
        time.Advance(TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));
        Assert.Equal(ErrorIds.RenewalWindowPassed, Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(first, gracePeriod: TimeSpan.Zero)).ErrorId);
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(first, gracePeriod: TimeSpan.FromDays(-1))).ErrorId);
    }

    [Fact]
    public void An_expired_certificate_whose_name_went_to_someone_else_is_refused()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        using var first = ca.Authority.IssueClient("alice", 30).Certificate;
        time.Advance(TimeSpan.FromDays(31));
        ca.Authority.IssueClient("alice", 30).Certificate.Dispose();
        Assert.Equal(ErrorIds.UserNameTaken, Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(first)).ErrorId);
    }

    [Fact]
    public void A_renewed_certificate_is_not_reported_as_expiring_its_successor_is()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        using var first = ca.Authority.IssueClient("alice", TimeSpan.FromDays(3)).Certificate;
        Assert.Single(ca.Registry.ExpiringWithin(TimeSpan.FromDays(30)));
        var renewed = ca.Authority.RenewClient(first);
        renewed.Certificate.Dispose();
        var expiring = Assert.Single(ca.Registry.ExpiringWithin(TimeSpan.FromDays(30)));
        Assert.Equal(renewed.Record.Serial, expiring.Serial);
    }

    [Fact]
    public void Asking_again_for_a_renewal_already_given_returns_the_same_certificate_so_a_lost_reply_locks_nobody_out()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        using var first = ca.Authority.IssueClient("alice", 30).Certificate;
        using var second = ca.Authority.RenewClient(first).Certificate;
        using var again = ca.Authority.RenewClient(first).Certificate;
        Assert.Equal(second.SerialNumber, again.SerialNumber);

        // The same for a move to a new key asked again with the same key's request.
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var moved = ca.Authority.RenewClient(second, Csr("CN=alice", next)).Certificate;
        using var movedAgain = ca.Authority.RenewClient(second, Csr("CN=alice", next)).Certificate;
        Assert.Equal(moved.SerialNumber, movedAgain.SerialNumber);
        Assert.Equal(3, ca.Directory.Store.FindCertificates().Count);

        // Not once the renewal it was given is revoked or has ended.
        time.Advance(TimeSpan.FromDays(31));
        Assert.Equal(ErrorIds.CertificateAlreadyRenewed, Assert.Throws<OpenChatException>(() => ca.Authority.RenewClient(first)).ErrorId);
    }

    [Fact]
    public void Revoking_any_certificate_of_a_renewal_chain_revokes_the_whole_chain()
    {
        using var ca = new Ca(new ManualTime(Start));
        using var first = ca.Authority.IssueClient("alice", 30).Certificate;
        using var second = ca.Authority.RenewClient(first).Certificate;
        using var third = ca.Authority.RenewClient(second).Certificate;
        using var bobs = ca.Authority.IssueClient("bob", 30).Certificate;

        ca.Registry.Revoke(second.SerialNumber, X509RevocationReason.KeyCompromise);

        // The same key is in all three: a stolen device must not connect with the one left valid.
        foreach (var serial in new[] { first.SerialNumber, second.SerialNumber, third.SerialNumber })
        {
            Assert.NotNull(ca.Directory.Store.GetCertificate(serial)!.RevokedAt);
        }

        Assert.Null(ca.Directory.Store.GetCertificate(bobs.SerialNumber)!.RevokedAt);
        var validator = new OpenChat.Engine.Transport.ClientCertificateValidator(ca.Directory.Certificate, ca.Directory.Store);
        Assert.Null(validator.ValidateIssued(first, out _));
        Assert.NotNull(validator.ValidateIssued(bobs, out _));
    }

    [Fact]
    public void Renewals_and_refusals_are_logged_as_PKI_events()
    {
        using var ca = new Ca(new ManualTime(Start));
        var log = new PkiLogRecorder();
        using var authority = CertificateAuthority.Open(ca.Directory, "", ca.Time, log);
        using var first = authority.IssueClient("alice", 30).Certificate;
        authority.RenewClient(first).Certificate.Dispose();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<OpenChatException>(() => authority.RenewClient(first, Csr("CN=alice", other)));
        Assert.Contains(log.Events, e => e.Id.Id == 4010 && e.Text.Contains(first.SerialNumber, StringComparison.Ordinal));
        Assert.Contains(log.Events, e => e.Id.Id == 4011 && e.Text.Contains(ErrorIds.CertificateAlreadyRenewed, StringComparison.Ordinal));
    }
}
