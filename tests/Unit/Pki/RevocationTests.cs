using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

public class RevocationTests
{
    [Fact]
    public void Revoking_records_time_and_reason()
    {
        using var ca = new Ca();
        var serial = ca.Authority.IssueClient("alice").Record.Serial;
        var revoked = ca.Registry.Revoke(serial, X509RevocationReason.KeyCompromise);
        Assert.Equal(CertificateStatus.Revoked, revoked.StatusAt(DateTimeOffset.UtcNow));
        var stored = ca.Directory.Store.GetCertificate(serial)!;
        Assert.Equal(X509RevocationReason.KeyCompromise, stored.RevocationReason);
        Assert.NotNull(stored.RevokedAt);
    }

    [Fact]
    public void Revoking_twice_is_refused()
    {
        using var ca = new Ca();
        var serial = ca.Authority.IssueClient("alice").Record.Serial;
        ca.Registry.Revoke(serial);
        var e = Assert.Throws<OpenChatException>(() => ca.Registry.Revoke(serial));
        Assert.Equal(ErrorIds.CertificateAlreadyRevoked, e.ErrorId);
    }

    [Fact]
    public void Revoking_an_unknown_serial_is_refused()
    {
        using var ca = new Ca();
        Assert.Equal(ErrorIds.CertificateNotFound, Assert.Throws<OpenChatException>(() => ca.Registry.Revoke("0123456789ABCDEF")).ErrorId);
        Assert.Equal(ErrorIds.SerialInvalid, Assert.Throws<OpenChatException>(() => ca.Registry.Revoke("not hex!")).ErrorId);
    }

    [Theory]
    [InlineData(X509RevocationReason.CertificateHold)]
    [InlineData(X509RevocationReason.RemoveFromCrl)]
    public void Temporary_reasons_are_refused(X509RevocationReason reason)
    {
        using var ca = new Ca();
        var serial = ca.Authority.IssueClient("alice").Record.Serial;
        Assert.Equal(ErrorIds.RevocationReasonInvalid, Assert.Throws<OpenChatException>(() => ca.Registry.Revoke(serial, reason)).ErrorId);
        Assert.Null(ca.Directory.Store.GetCertificate(serial)!.RevokedAt);
    }

    [Fact]
    public void Serials_may_be_pasted_with_colons_and_lower_case()
    {
        using var ca = new Ca();
        var serial = ca.Authority.IssueClient("alice").Record.Serial;
        var pasted = string.Join(':', serial.ToLowerInvariant().Chunk(2).Select(c => new string(c)));
        Assert.Equal(serial, ca.Registry.Revoke(pasted).Serial);
    }

    [Fact]
    public void Status_filters_find_valid_revoked_and_expired()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        using var ca = new Ca(time);
        ca.Authority.IssueClient("alice", validDays: 1);
        var bob = ca.Authority.IssueClient("bob").Record.Serial;
        ca.Authority.IssueClient("carol");
        ca.Registry.Revoke(bob);
        time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(["alice"], ca.Registry.Find(status: CertificateStatus.Expired).Select(r => r.Name));
        Assert.Equal(["bob"], ca.Registry.Find(status: CertificateStatus.Revoked).Select(r => r.Name));
        Assert.Equal(["carol"], ca.Registry.Find(status: CertificateStatus.Valid).Select(r => r.Name));
    }

    [Fact]
    public void Crl_is_signed_by_the_ca_lists_every_revoked_serial_and_counts_up()
    {
        using var ca = new Ca();
        var serials = new[] { "alice", "bob", "carol" }.Select(n => ca.Authority.IssueClient(n).Record.Serial).ToArray();
        ca.Registry.Revoke(serials[0], X509RevocationReason.KeyCompromise);
        ca.Registry.Revoke(serials[2]);

        var first = ca.Authority.CreateRevocationList(TimeSpan.FromDays(7));
        var second = ca.Authority.CreateRevocationList(TimeSpan.FromDays(7));
        Assert.Equal(first.Number + 1, second.Number);

        CertificateRevocationListBuilder.Load(second.Der, out var number);
        Assert.Equal(new BigInteger(second.Number), number);
        Assert.Equal(new[] { serials[0], serials[2] }.Order(), second.RevokedSerials.Order());

        var (tbs, signature, listed) = ParseCrl(second.Der);
        Assert.Equal(new[] { serials[0], serials[2] }.Order(), listed.Order());
        using var caKey = ca.Directory.Certificate.GetECDsaPublicKey()!;
        Assert.True(caKey.VerifyData(tbs, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        tbs[^1] ^= 1;
        Assert.False(caKey.VerifyData(tbs, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    // RFC 5280 section 5.1: CertificateList = SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }.
    private static (byte[] Tbs, byte[] Signature, List<string> Serials) ParseCrl(byte[] der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.PeekEncodedValue().ToArray();
        var list = outer.ReadSequence();
        outer.ReadSequence(); // signatureAlgorithm
        var signature = outer.ReadBitString(out _);

        if (list.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            list.ReadInteger(); // version
        }

        list.ReadSequence(); // signature algorithm
        list.ReadSequence(); // issuer
        list.ReadEncodedValue(); // thisUpdate
        var tag = list.PeekTag();
        if (tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime))
        {
            list.ReadEncodedValue(); // nextUpdate
        }

        var serials = new List<string>();
        if (list.HasData && list.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var revoked = list.ReadSequence();
            while (revoked.HasData)
            {
                var entry = revoked.ReadSequence();
                serials.Add(Convert.ToHexString(entry.ReadIntegerBytes().Span));
            }
        }

        return (tbs, signature, serials);
    }

    [Fact]
    public void Crl_validity_is_bounded()
    {
        using var ca = new Ca();
        Assert.Equal(ErrorIds.ValidityInvalid, Assert.Throws<OpenChatException>(() => ca.Authority.CreateRevocationList(TimeSpan.Zero)).ErrorId);
    }
}

public class CrlReaderTests
{
    [Fact]
    public void Reads_the_serials_of_a_list_signed_by_the_pinned_ca()
    {
        using var ca = new Ca();
        var serial = ca.Authority.IssueClient("alice").Record.Serial;
        ca.Registry.Revoke(serial);
        var list = ca.Authority.CreateRevocationList(TimeSpan.FromDays(1));
        Assert.Equal([serial], CrlReader.VerifiedSerials(list.Der, ca.Directory.Certificate));
    }

    [Fact]
    public void Reports_the_list_number_so_an_older_list_can_be_told_apart()
    {
        using var ca = new Ca();
        var first = CrlReader.Verified(ca.Authority.CreateRevocationList(TimeSpan.FromDays(1)).Der, ca.Directory.Certificate).Number;
        var second = CrlReader.Verified(ca.Authority.CreateRevocationList(TimeSpan.FromDays(1)).Der, ca.Directory.Certificate).Number;
        Assert.True(second > first);
    }

    [Fact]
    public void Refuses_a_list_from_another_ca()
    {
        using var ca = new Ca();
        using var other = new Ca();
        var list = other.Authority.CreateRevocationList(TimeSpan.FromDays(1));
        Assert.Throws<CryptographicException>(() => CrlReader.VerifiedSerials(list.Der, ca.Directory.Certificate));
    }

    [Fact]
    public void Refuses_an_expired_list_that_could_hide_a_newer_revocation()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow.AddDays(-10));
        using var ca = new Ca(time);
        var old = ca.Authority.CreateRevocationList(TimeSpan.FromDays(1));
        Assert.Throws<CryptographicException>(() => CrlReader.VerifiedSerials(old.Der, ca.Directory.Certificate));
    }

    [Fact]
    public void Refuses_a_tampered_list()
    {
        using var ca = new Ca();
        ca.Registry.Revoke(ca.Authority.IssueClient("alice").Record.Serial);
        var der = ca.Authority.CreateRevocationList(TimeSpan.FromDays(1)).Der;
        der[der.Length / 2] ^= 1;
        Assert.ThrowsAny<Exception>(() => CrlReader.VerifiedSerials(der, ca.Directory.Certificate));
    }

    [Fact]
    public void Revoking_a_users_last_certificate_cancels_their_pending_invites_and_an_old_invite_no_longer_enrolls()
    {
        using var ca = new Ca().WithServer();
        var serial = ca.Enroll(ca.Invites.Create("bob").Code, Requests.EcP256("CN=bob")).Record.Serial;
        var (_, secondDevice) = ca.Invites.Create("bob", additionalDevice: true);
        var (_, other) = ca.Invites.Create("carol");

        var (_, cancelled) = ca.Registry.RevokeAndCancelInvites(serial, X509RevocationReason.AffiliationChanged);

        Assert.Equal([secondDevice.Id], cancelled.Select(i => i.Id));
        var record = ca.Invites.Find("bob").Single(i => i.Id == secondDevice.Id);
        Assert.Equal(InviteStatus.Revoked, record.StatusAt(DateTimeOffset.UtcNow));
        Assert.Contains(serial, record.CancelReason, StringComparison.Ordinal);
        Assert.Contains("revoked", record.CancelReason, StringComparison.Ordinal);
        Assert.Equal(InviteStatus.Pending, ca.Invites.Find("carol").Single().StatusAt(DateTimeOffset.UtcNow));

        var e = Assert.Throws<OpenChatException>(() => ca.Enroll(secondDevice, Requests.EcP256("CN=bob")));
        Assert.Equal(ErrorIds.InviteRevoked, e.ErrorId);
        Assert.Contains("revoked", e.Message, StringComparison.Ordinal);
        Assert.Single(ca.Directory.Store.FindCertificates(CertificateKind.Client, "bob"));

        // An invite issued after the revocation is the admin's decision to let bob back in.
        ca.Enroll(ca.Invites.Create("bob").Code, Requests.EcP256("CN=bob"));
        ca.Enroll(other, Requests.EcP256("CN=carol"));
    }

    [Fact]
    public void Revoking_one_of_two_devices_leaves_the_users_invites_pending()
    {
        using var ca = new Ca().WithServer();
        var first = ca.Authority.IssueClient("bob").Record.Serial;
        ca.Authority.IssueClient("bob", additionalDevice: true);
        var (invite, _) = ca.Invites.Create("bob", additionalDevice: true);
        Assert.Empty(ca.Registry.RevokeAndCancelInvites(first).CancelledInvites);
        Assert.Equal(InviteStatus.Pending, ca.Directory.Store.GetInvite(invite.Id)!.StatusAt(DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Revoking_an_expired_users_certificate_still_cancels_the_invite_for_their_return()
    {
        // bob's certificate is no longer valid (revoked earlier) and an invite waits: revoking
        // the other, already expired certificate leaves no valid one, so the invite goes too.
        var time = new ManualTime(DateTimeOffset.UtcNow);
        using var ca = new Ca(time).WithServer();
        var shortLived = ca.Authority.IssueClient("bob", validDays: 1).Record.Serial;
        time.Advance(TimeSpan.FromDays(2));
        var (invite, _) = ca.Invites.Create("bob");
        Assert.Equal([invite.Id], ca.Registry.RevokeAndCancelInvites(shortLived).CancelledInvites.Select(i => i.Id));
    }

    [Fact]
    public void Revoking_a_server_certificate_cancels_no_invites()
    {
        using var ca = new Ca().WithServer();
        var (invite, _) = ca.Invites.Create("bob");
        var server = ca.Registry.Find(CertificateKind.Server).Single().Serial;
        Assert.Empty(ca.Registry.RevokeAndCancelInvites(server).CancelledInvites);
        Assert.Equal(InviteStatus.Pending, ca.Directory.Store.GetInvite(invite.Id)!.StatusAt(DateTimeOffset.UtcNow));
    }
}
