using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Group;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>
/// Regressions from fuzzing key packages and handovers (bench/fuzz.sh, 2026-12-03): a member's
/// certificate that loads but whose public key is not a point on the curve made OpenSSL's chain
/// building throw out of MemberVerifier, and one whose validity date is not a date threw from
/// NotBefore; both past every refusal. Each must be refused like any other bad certificate.
/// </summary>
public sealed class DamagedMemberCertificateTests : IDisposable
{
    private readonly ManualTime _time = new(DateTimeOffset.UtcNow);
    private readonly Ca _ca;

    public DamagedMemberCertificateTests() => _ca = new Ca(_time);

    public void Dispose() => _ca.Dispose();

    private static X509Certificate2 OffCurve(X509Certificate2 issued) => DamagedCertificates.OffCurve(issued);

    [Fact]
    public void Building_the_chain_of_an_off_curve_certificate_throws_in_the_platform_so_the_check_matters()
    {
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        using var broken = OffCurve(issued);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca.Directory.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

        Assert.ThrowsAny<CryptographicException>(() => chain.Build(broken));
    }

    [Fact]
    public void A_member_certificate_whose_key_does_not_decode_is_refused_not_thrown()
    {
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        using var broken = OffCurve(issued);
        var verifier = new MemberVerifier(_ca.Directory.Certificate);

        Assert.False(verifier.Verify(broken, _time.GetUtcNow(), out var reason));
        Assert.Contains("pinned CA", reason);
        // Asked again (the answer is cached by thumbprint), still a refusal.
        Assert.False(verifier.Verify(broken, _time.GetUtcNow(), out _));
    }

    [Fact]
    public void A_key_package_and_a_handover_carrying_such_a_certificate_are_refused()
    {
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        using var broken = OffCurve(issued);
        using var agreement = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var key = issued.GetECDsaPrivateKey()!;
        var verifier = new MemberVerifier(_ca.Directory.Certificate);

        var package = KeyPackage.Create(issued, key, agreement, _time.GetUtcNow()) with { Certificate = broken.RawData };
        Assert.False(KeyPackage.Parse(package.ToBytes()).Verify(verifier, _time.GetUtcNow(), out var packageReason));
        Assert.NotEmpty(packageReason);

        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handover = KeyHandover.Create(issued, key, nextKey, _time.GetUtcNow()) with { PreviousCertificate = broken.RawData };
        Assert.False(KeyHandover.Parse(handover.ToBytes()).Verify(verifier, issued, out var handoverReason));
        Assert.NotEmpty(handoverReason);
    }

    /// <summary>The certificate with a digit of its first UTCTime (the start of its validity) made a letter.</summary>
    private static byte[] WithBadDate(X509Certificate2 issued)
    {
        var raw = issued.RawData;
        var at = raw.AsSpan().IndexOf(new byte[] { 0x17, 0x0D });
        Assert.True(at > 0, "the validity is a UTCTime");
        raw[at + 4] = (byte)'x';
        return raw;
    }

    [Fact]
    public void A_certificate_whose_date_is_not_a_date_loads_but_throws_when_read_so_it_is_read_at_once()
    {
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        var damaged = WithBadDate(issued);
        using (var loaded = X509CertificateLoader.LoadCertificate(damaged))
        {
            Assert.ThrowsAny<CryptographicException>(() => loaded.NotBefore);
        }

        Assert.ThrowsAny<CryptographicException>(() => OpenChat.Engine.Pki.PeerCertificate.Load(damaged));
    }

    [Fact]
    public void A_key_package_and_a_handover_with_a_certificate_whose_date_is_not_a_date_are_refused_as_unreadable()
    {
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        using var agreement = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var key = issued.GetECDsaPrivateKey()!;
        var verifier = new MemberVerifier(_ca.Directory.Certificate);

        var package = KeyPackage.Create(issued, key, agreement, _time.GetUtcNow()) with { Certificate = WithBadDate(issued) };
        Assert.Equal(RejectReason.CertificateUnreadable, KeyPackage.Parse(package.ToBytes()).Check(verifier, _time.GetUtcNow())?.Code);

        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handover = KeyHandover.Create(issued, key, nextKey, _time.GetUtcNow()) with { PreviousCertificate = WithBadDate(issued) };
        Assert.Equal(RejectReason.HandoverMalformed, KeyHandover.Parse(handover.ToBytes()).Check(verifier, issued)?.Code);
    }

    [Fact]
    public void The_chain_verdicts_kept_are_bounded_and_a_verdict_forgotten_is_the_same_when_asked_again()
    {
        // Each package a member sends may carry another certificate, failing ones included.
        var verifier = new MemberVerifier(_ca.Directory.Certificate) { ChainCacheLimit = 3 };
        using var good = _ca.Authority.IssueClient("alice").Certificate;
        var strangers = Enumerable.Range(0, 10).Select(i =>
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return new CertificateRequest($"CN=mallory{i}", key, HashAlgorithmName.SHA256).CreateSelfSigned(_time.GetUtcNow().AddDays(-1), _time.GetUtcNow().AddDays(30));
        }).ToList();

        Assert.True(verifier.Verify(good, _time.GetUtcNow(), out var first), first);
        foreach (var stranger in strangers)
        {
            Assert.False(verifier.Verify(stranger, _time.GetUtcNow(), out _));
            Assert.InRange(verifier.CachedChains, 1, 3);
        }

        Assert.True(verifier.Verify(good, _time.GetUtcNow(), out var again), again);
        Assert.False(verifier.Verify(strangers[0], _time.GetUtcNow(), out _));
        strangers.ForEach(s => s.Dispose());
    }

    [Fact]
    public void An_identity_file_whose_certificate_key_does_not_decode_is_refused_as_not_from_the_ca()
    {
        // The same damage in a certificate registered as an identity from a file: the chain
        // check refuses it (it would have thrown from X509Chain.Build before ChainBuilding).
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        using var broken = OffCurve(issued);
        using var key = issued.GetECDsaPrivateKey()!;

        var e = Assert.Throws<OpenChat.Engine.OpenChatException>(() =>
            OpenChat.Engine.Client.CertificateRegistration.Verify(broken, key, _ca.Directory.Certificate, _time.GetUtcNow()));

        Assert.Equal(OpenChat.Engine.ErrorIds.CertificateNotFromCa, e.ErrorId);
    }

    [Fact]
    public void An_expired_certificate_whose_key_does_not_decode_gets_no_further_than_the_handshake()
    {
        // The server looks again at a certificate the TLS stack refused, to tell an expired one
        // that may still renew; a damaged one must be refused there, not throw out of the handshake.
        using var issued = _ca.Authority.IssueClient("alice").Certificate;
        using var broken = OffCurve(issued);
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true };
        policy.CustomTrustStore.Add(_ca.Directory.Certificate);
        var gate = new OpenChat.Engine.Server.ExpiredCertificateGate(_ca.Directory.Store, policy, () => TimeSpan.FromDays(30), _time);
        _time.Now = new DateTimeOffset(issued.NotAfter.ToUniversalTime()).AddDays(1);

        Assert.NotNull(gate.Judge(issued, out _)?.Identity); // the sound one, expired a day ago, may renew
        Assert.Null(gate.Judge(broken, out var refusal));
        Assert.Contains("does not chain", refusal, StringComparison.Ordinal);
    }
}
