using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Group;

/// <summary>Key packages version 2 (with an optional key handover) and the version 1 packages
/// that rooms' histories still hold.</summary>
public sealed class KeyPackageFormatTests : IDisposable
{
    private readonly ManualTime _time = new(DateTimeOffset.UtcNow);
    private readonly Ca _ca;
    private readonly MemberVerifier _verifier;

    public KeyPackageFormatTests()
    {
        _ca = new Ca(_time);
        _verifier = new MemberVerifier(_ca.Directory.Certificate);
    }

    public void Dispose() => _ca.Dispose();

    private DateTimeOffset Now => _time.GetUtcNow();

    private X509Certificate2 Issue(string user) => _ca.Authority.IssueClient(user, additionalDevice: true).Certificate;

    private X509Certificate2 IssueFor(ECDsa key, string user)
    {
        var csr = new CertificateRequest($"CN={user}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        return _ca.Authority.SignRequest(csr, user, additionalDevice: true).Certificate;
    }

    private static ECDiffieHellman Agreement() => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    [Fact]
    public void A_new_package_is_version_2_with_an_empty_handover_and_survives_encoding()
    {
        using var certificate = Issue("alice");
        using var agreement = Agreement();
        var package = KeyPackage.Create(certificate, certificate.GetECDsaPrivateKey()!, agreement, Now);

        var parsed = KeyPackage.Parse(package.ToBytes());

        Assert.Equal(KeyPackage.Version, parsed.FormatVersion);
        Assert.Empty(parsed.Handover);
        Assert.Null(parsed.ParsedHandover);
        Assert.Equal(package.Reference, parsed.Reference);
        Assert.True(parsed.Verify(_verifier, Now, out var reason), reason);
    }

    [Fact]
    public void A_version_1_package_still_parses_verifies_and_keeps_its_reference()
    {
        using var certificate = Issue("alice");
        using var agreement = Agreement();
        var point = Signatures.PublicPoint(agreement);
        var created = DateTimeOffset.FromUnixTimeMilliseconds(Now.ToUnixTimeMilliseconds());
        var signed = PayloadWriter.Body().U8(KeyPackage.LegacyVersion).String("alice").Bytes(certificate.RawData).Bytes(point)
            .I64(created.ToUnixTimeMilliseconds()).ToBody();
        var signature = Signatures.Sign(certificate.GetECDsaPrivateKey()!, signed);
        var bytes = PayloadWriter.Body().U8(KeyPackage.LegacyVersion).String("alice").Bytes(certificate.RawData).Bytes(point)
            .I64(created.ToUnixTimeMilliseconds()).Bytes(signature).ToBody();

        var parsed = KeyPackage.Parse(bytes);

        Assert.Equal(KeyPackage.LegacyVersion, parsed.FormatVersion);
        Assert.Empty(parsed.Handover);
        Assert.True(parsed.Verify(_verifier, Now, out var reason), reason);
        Assert.Equal(bytes, parsed.ToBytes());
        Assert.Equal(SHA256.HashData(bytes)[..16], parsed.Reference);
    }

    [Fact]
    public void A_package_with_a_valid_handover_verifies_and_carries_it()
    {
        using var previous = Issue("alice");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handover = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, Now);
        using var next = IssueFor(nextKey, "alice");
        using var agreement = Agreement();

        var parsed = KeyPackage.Parse(KeyPackage.Create(next, nextKey, agreement, Now, handover).ToBytes());

        Assert.True(parsed.Verify(_verifier, Now, out var reason), reason);
        Assert.Equal(handover.ToBytes(), parsed.Handover);
        Assert.Equal(previous.RawData, parsed.ParsedHandover!.PreviousCertificate);
    }

    [Fact]
    public void A_package_whose_handover_names_another_key_is_refused_with_the_handovers_reason()
    {
        using var previous = Issue("alice");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handover = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, Now);
        using var other = IssueFor(otherKey, "alice");
        using var agreement = Agreement();

        var package = KeyPackage.Parse(KeyPackage.Create(other, otherKey, agreement, Now, handover).ToBytes());

        Assert.Equal(RejectReason.HandoverOtherKey, package.Check(_verifier, Now)?.Code);
    }

    [Fact]
    public void A_package_with_a_handover_from_another_user_is_refused()
    {
        using var previous = Issue("mallory");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handover = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, Now);
        using var next = IssueFor(nextKey, "alice");
        using var agreement = Agreement();

        var package = KeyPackage.Create(next, nextKey, agreement, Now, handover);

        Assert.Equal(RejectReason.HandoverOtherUser, package.Check(_verifier, Now)?.Code);
    }

    [Fact]
    public void A_package_with_a_malformed_handover_is_refused_not_taken_as_none()
    {
        using var certificate = Issue("alice");
        using var agreement = Agreement();
        var key = certificate.GetECDsaPrivateKey()!;
        var unsigned = KeyPackage.Create(certificate, key, agreement, Now) with { Handover = [1, 2, 3], Signature = [] };
        var package = unsigned with { Signature = Signatures.Sign(key, unsigned.SignedPart()) };

        Assert.Equal(RejectReason.HandoverMalformed, KeyPackage.Parse(package.ToBytes()).Check(_verifier, Now)?.Code);
    }

    [Fact]
    public void A_handover_added_to_a_signed_package_breaks_its_signature()
    {
        using var previous = Issue("alice");
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handover = KeyHandover.Create(previous, previous.GetECDsaPrivateKey()!, nextKey, Now);
        using var next = IssueFor(nextKey, "alice");
        using var agreement = Agreement();
        var plain = KeyPackage.Create(next, nextKey, agreement, Now);

        var grafted = KeyPackage.Parse((plain with { Handover = handover.ToBytes() }).ToBytes());

        Assert.Equal(RejectReason.BadPackageSignature, grafted.Check(_verifier, Now)?.Code);
    }
}
