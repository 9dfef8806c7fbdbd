using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Group;

public sealed class KeyHandoverTests : IDisposable
{
    private readonly ManualTime _time = new(DateTimeOffset.UtcNow);
    private readonly Ca _ca;
    private readonly MemberVerifier _verifier;

    public KeyHandoverTests()
    {
        _ca = new Ca(_time);
        _verifier = new MemberVerifier(_ca.Directory.Certificate);
    }

    public void Dispose() => _ca.Dispose();

    private X509Certificate2 Issue(string user) => _ca.Authority.IssueClient(user, additionalDevice: true).Certificate;

    private X509Certificate2 IssueFor(ECDsa key, string user)
    {
        var csr = new CertificateRequest($"CN={user}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        return _ca.Authority.SignRequest(csr, user, additionalDevice: true).Certificate;
    }

    [Fact]
    public void A_handover_signed_by_the_previous_key_for_the_next_certificate_is_accepted_and_survives_encoding()
    {
        using var previous = Issue("alice");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handover = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, _time.GetUtcNow());
        using var next = IssueFor(nextKey, "alice");

        var parsed = KeyHandover.Parse(handover.ToBytes());

        Assert.True(parsed.Verify(_verifier, next, out var reason), reason);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(previous.PublicKey.ExportSubjectPublicKeyInfo())), parsed.PreviousFingerprint);
    }

    [Fact]
    public void A_handover_for_another_key_is_refused()
    {
        using var previous = Issue("alice");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handover = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, _time.GetUtcNow());
        using var other = IssueFor(otherKey, "alice");

        Assert.Equal(RejectReason.HandoverOtherKey, handover.Check(_verifier, other)?.Code);
    }

    [Fact]
    public void A_handover_to_another_users_certificate_is_refused()
    {
        using var previous = Issue("alice");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handover = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, _time.GetUtcNow());
        using var mallory = IssueFor(nextKey, "mallory");

        Assert.Equal(RejectReason.HandoverOtherUser, handover.Check(_verifier, mallory)?.Code);
    }

    [Fact]
    public void A_handover_not_signed_by_the_previous_key_is_refused()
    {
        using var previous = Issue("alice");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var thief = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = KeyHandover.Create(previous, thief, nextKey, _time.GetUtcNow());
        using var next = IssueFor(nextKey, "alice");

        Assert.Equal(RejectReason.HandoverBadSignature, forged.Check(_verifier, next)?.Code);

        var honest = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, _time.GetUtcNow());
        var flipped = (byte[])honest.Signature.Clone();
        flipped[5] ^= 1;
        Assert.Equal(RejectReason.HandoverBadSignature, (honest with { Signature = flipped }).Check(_verifier, next)?.Code);
    }

    [Fact]
    public void A_handover_from_another_cas_certificate_or_a_revoked_one_is_refused()
    {
        using var otherCa = new Ca(_time);
        using var foreign = otherCa.Authority.IssueClient("alice").Certificate;
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var next = IssueFor(nextKey, "alice");
        var fromForeign = KeyHandover.Create(foreign, foreign.GetECDsaPrivateKey()!, nextKey, _time.GetUtcNow());
        Assert.Equal(RejectReason.HandoverPreviousNotValid, fromForeign.Check(_verifier, next)?.Code);

        using var previous = Issue("alice");
        var handover = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, _time.GetUtcNow());
        _verifier.MarkRevoked([previous.SerialNumber]);
        Assert.Equal(RejectReason.HandoverPreviousNotValid, handover.Check(_verifier, next)?.Code);
    }

    [Fact]
    public void A_handover_made_long_before_the_next_certificate_began_is_refused()
    {
        // An old key kept after its certificate was replaced cannot vouch, years later, for a key
        // someone enrolled with an invite: the handover must be as new as the certificate it names.
        using var previous = Issue("alice");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handover = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromDays(2));
        using var next = IssueFor(nextKey, "alice");

        Assert.Equal(RejectReason.HandoverOutOfTime, handover.Check(_verifier, next)?.Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(40)]
    public void Damaged_handover_bytes_are_a_crypto_error(int cut)
    {
        using var previous = Issue("alice");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var bytes = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, _time.GetUtcNow()).ToBytes();

        Assert.Throws<CryptoException>(() => KeyHandover.Parse(bytes.AsSpan(0, cut)));
        Assert.Throws<CryptoException>(() => KeyHandover.Parse([.. bytes, 0]));
        var version = (byte[])bytes.Clone();
        version[0] = 9;
        Assert.Throws<CryptoException>(() => KeyHandover.Parse(version));
    }
}
