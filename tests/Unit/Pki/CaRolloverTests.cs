using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

/// <summary>The rollover itself (files, certificates, refusals) and the proof a client demands
/// before it pins a root.</summary>
public class CaRolloverTests
{
    private static CaRolloverResult RollOver(string path, TimeProvider? time = null, string password = "") =>
        OpenChat.Engine.Server.ChatServer.RollOverCertificateAuthority(path, password, "", keepPassword: true, time: time);

    private static X509Certificate2 Pem(string path) => X509Certificate2.CreateFromPem(File.ReadAllText(path));

    private static X509Certificate2 SelfSignedRoot(string name, ECDsa key, DateTimeOffset now)
    {
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        CertificateProfile.ApplyRoot(request);
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
    }

    private static bool Chains(X509Certificate2 leaf, X509Certificate2 root, params X509Certificate2[] intermediates)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        return chain.Build(leaf);
    }

    [Fact]
    public void A_rollover_makes_a_new_root_with_cross_certificates_both_ways_and_keeps_the_old_root_and_key_owner_only()
    {
        using var temp = new TempDirectory();
        var directory = CertificateAuthority.Create(temp.Combine("ca"), "Example CA", "");
        var oldRoot = X509CertificateLoader.LoadCertificate(directory.Certificate.RawData);
        using (var ca = CertificateAuthority.Open(directory, ""))
        {
            ca.IssueServer([], []).Certificate.Dispose();
        }

        var result = RollOver(directory.Path);

        var after = new CaDirectory(directory.Path);
        var newRoot = after.Certificate;
        Assert.Equal("CN=Example CA G2", newRoot.Subject);
        Assert.NotEqual(oldRoot.PublicKey.ExportSubjectPublicKeyInfo(), newRoot.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(CaDirectory.FormatFingerprint(after.Fingerprint), result.Fingerprint);
        Assert.Equal(oldRoot.NotAfter, result.OverlapEnds.UtcDateTime.ToLocalTime(), TimeSpan.FromSeconds(1));

        var previous = PreviousRoot.Load(after)!;
        Assert.Equal(oldRoot.RawData, previous.Certificate.RawData);
        Assert.Equal(oldRoot.Subject, previous.Cross.Issuer);
        Assert.Equal(newRoot.Subject, previous.Cross.Subject);
        Assert.Equal(newRoot.PublicKey.ExportSubjectPublicKeyInfo(), previous.Cross.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.True(previous.Cross.NotAfter <= oldRoot.NotAfter);
        var constraints = previous.Cross.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.CertificateAuthority);
        var usage = previous.Cross.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages;
        Assert.True(usage.HasFlag(X509KeyUsageFlags.KeyCertSign) && usage.HasFlag(X509KeyUsageFlags.CrlSign));
        Assert.Equal(newRoot.Subject, previous.ReverseCross.Issuer);
        Assert.Equal(oldRoot.PublicKey.ExportSubjectPublicKeyInfo(), previous.ReverseCross.PublicKey.ExportSubjectPublicKeyInfo());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(after.Path, PreviousRoot.KeyFile)));
        }

        // The server's certificate is under the new root now, with the same key, and chains to
        // the old root through the cross-certificate.
        using var server = Pem(after.ServerCertificatePath);
        Assert.Equal(newRoot.Subject, server.Issuer);
        Assert.Equal(result.ServerCertificateSerial, server.SerialNumber);
        Assert.True(Chains(server, newRoot));
        Assert.True(Chains(server, oldRoot, previous.Cross));
        Assert.False(Chains(server, oldRoot));
    }

    [Fact]
    public void Everything_issued_after_the_rollover_is_under_the_new_root_and_invites_carry_its_fingerprint()
    {
        using var temp = new TempDirectory();
        var directory = CertificateAuthority.Create(temp.Combine("ca"), "Example CA", "");
        using (var ca = CertificateAuthority.Open(directory, ""))
        {
            ca.IssueServer([], []).Certificate.Dispose();
        }

        RollOver(directory.Path);
        var after = new CaDirectory(directory.Path);
        using (var ca = CertificateAuthority.Open(after, ""))
        {
            using var user = ca.IssueClient("alice").Certificate;
            Assert.Equal(after.Certificate.Subject, user.Issuer);
            Assert.True(Chains(user, after.Certificate));
        }

        var (_, code) = new InviteBook(after).Create("bob", server: "localhost:7443");
        Assert.Equal(after.Fingerprint, code.CaFingerprint);
    }

    [Fact]
    public void A_second_rollover_during_the_overlap_is_refused_and_one_after_it_archives_the_old_files()
    {
        using var temp = new TempDirectory();
        var past = new ManualTime(DateTimeOffset.UtcNow.AddDays(-20));
        var directory = CertificateAuthority.Create(temp.Combine("ca"), "Example CA", "", validDays: 30, time: past);
        var rolloverTime = new ManualTime(DateTimeOffset.UtcNow);
        RollOver(directory.Path, rolloverTime);

        var refused = Assert.Throws<OpenChatException>(() => RollOver(directory.Path, rolloverTime));
        Assert.Equal(ErrorIds.CaRolloverInProgress, refused.ErrorId);
        Assert.Equal("CN=Example CA G2", new CaDirectory(directory.Path).Certificate.Subject);

        rolloverTime.Advance(TimeSpan.FromDays(11));
        RollOver(directory.Path, rolloverTime);
        var after = new CaDirectory(directory.Path);
        Assert.Equal("CN=Example CA G3", after.Certificate.Subject);
        Assert.Equal("CN=Example CA G2", PreviousRoot.Load(after)!.Certificate.Subject);
        Assert.Single(Directory.GetDirectories(after.Path, "retired-*"));
    }

    [Fact]
    public void A_rollover_is_refused_while_a_server_serves_the_directory()
    {
        using var temp = new TempDirectory();
        var directory = CertificateAuthority.Create(temp.Combine("ca"), "Example CA", "");
        using var serverLock = new FileStream(Path.Combine(directory.Path, OpenChat.Engine.Server.ChatServer.LockFile), FileMode.OpenOrCreate,
            FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        var refused = Assert.Throws<OpenChatException>(() => RollOver(directory.Path));
        Assert.Equal(ErrorIds.ServerAlreadyRunning, refused.ErrorId);
        Assert.False(PreviousRoot.Exists(directory));
    }

    [Fact]
    public void A_root_of_path_length_zero_cannot_be_rolled_over()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("ca");
        var directory = CertificateAuthority.Create(path, "Example CA", "");
        // A root as versions before rollover made them.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Legacy CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var legacy = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(directory.CertificatePath, legacy.ExportCertificatePem());
        File.WriteAllText(directory.KeyPath, key.ExportPkcs8PrivateKeyPem());

        var refused = Assert.Throws<OpenChatException>(() => RollOver(path));
        Assert.Equal(ErrorIds.CaRolloverUnsupported, refused.ErrorId);
    }

    [Theory]
    [InlineData("Example CA", "Example CA G2")]
    [InlineData("Example CA G2", "Example CA G3")]
    [InlineData("Example CA G9", "Example CA G10")]
    public void The_new_root_is_named_after_the_next_generation(string name, string next) =>
        Assert.Equal(next, CaRollover.NextName(name));

    [Fact]
    public void The_next_generation_name_stays_within_the_limit() =>
        Assert.True(CaRollover.NextName(new string('x', CertificateAuthority.MaxCaNameLength)).Length <= CertificateAuthority.MaxCaNameLength);

    // A pinned root, the root that succeeds it, and the old root's proof for the new one.
    private sealed class Succession : IDisposable
    {
        public Succession(DateTimeOffset now)
        {
            OldRoot = SelfSignedRoot("Old", OldKey, now);
            NewRoot = SelfSignedRoot("New", _newKey, now);
            Cross = RootProof.Issue(OldRoot, OldKey, NewRoot, now);
        }

        private readonly ECDsa _newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public ECDsa OldKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public X509Certificate2 OldRoot { get; }

        public X509Certificate2 NewRoot { get; }

        public X509Certificate2 Cross { get; }

        public void Dispose()
        {
            Cross.Dispose();
            NewRoot.Dispose();
            OldRoot.Dispose();
            _newKey.Dispose();
            OldKey.Dispose();
        }
    }

    [Fact]
    public void A_proof_from_a_pinned_root_for_exactly_the_offered_root_is_accepted()
    {
        var now = DateTimeOffset.UtcNow;
        using var roots = new Succession(now);
        Assert.Null(RootProof.Check(roots.NewRoot, roots.Cross, [roots.OldRoot], now));
    }

    [Fact]
    public void An_offered_root_or_a_pinned_root_whose_key_does_not_decode_is_refused_not_thrown()
    {
        var now = DateTimeOffset.UtcNow;
        using var roots = new Succession(now);
        var (oldKey, oldRoot, newRoot, cross) = (roots.OldKey, roots.OldRoot, roots.NewRoot, roots.Cross);
        Assert.Null(RootProof.Check(newRoot, cross, [oldRoot], now));

        // A server offers a root whose key is off the curve, with a proof for exactly that key.
        using var brokenNew = DamagedCertificates.OffCurve(newRoot);
        using var crossForBroken = RootProof.Issue(oldRoot, oldKey, brokenNew, now);
        Assert.StartsWith("the offered root is not valid", RootProof.Check(brokenNew, crossForBroken, [oldRoot], now));

        // The pinned root itself damaged (a corrupted file): nothing chains to it.
        using var brokenOld = DamagedCertificates.OffCurve(oldRoot);
        Assert.StartsWith("the cross-certificate is not signed by a pinned root", RootProof.Check(newRoot, cross, [brokenOld], now));
    }

    [Fact]
    public void A_cross_certificate_signed_by_another_key_is_refused()
    {
        var now = DateTimeOffset.UtcNow;
        using var oldKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var oldRoot = SelfSignedRoot("Old", oldKey, now);
        // Same name as the pinned root, another key: what someone without the old key can make.
        using var impostor = SelfSignedRoot("Old", otherKey, now);
        using var newRoot = SelfSignedRoot("New", newKey, now);
        using var forged = RootProof.Issue(impostor, otherKey, newRoot, now);
        Assert.NotNull(RootProof.Check(newRoot, forged, [oldRoot], now));
    }

    [Fact]
    public void A_cross_certificate_for_another_key_than_the_offered_root_is_refused()
    {
        var now = DateTimeOffset.UtcNow;
        using var oldKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var attackerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var oldRoot = SelfSignedRoot("Old", oldKey, now);
        using var newRoot = SelfSignedRoot("New", newKey, now);
        // The genuine proof for the new root, offered with another root of the same name.
        using var cross = RootProof.Issue(oldRoot, oldKey, newRoot, now);
        using var attackerRoot = SelfSignedRoot("New", attackerKey, now);
        Assert.Contains("another name or key", RootProof.Check(attackerRoot, cross, [oldRoot], now));
    }

    [Fact]
    public void A_profile_pins_nothing_on_a_forged_proof_and_both_roots_on_a_genuine_one()
    {
        using var temp = new TempDirectory();
        var now = DateTimeOffset.UtcNow;
        using var oldKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var oldRoot = SelfSignedRoot("Old", oldKey, now);
        using var newRoot = SelfSignedRoot("New", newKey, now);
        using var attackerRoot = SelfSignedRoot("New", otherKey, now);
        Directory.CreateDirectory(temp.Path);
        File.WriteAllText(temp.Combine(ChatProfile.CaFile), oldRoot.ExportCertificatePem());
        var roots = PinnedRoots.Load(temp.Path, new ManualTime(now), NullLogger.Instance);
        var changes = 0;
        roots.Changed += _ => changes++;

        using var genuine = RootProof.Issue(oldRoot, oldKey, newRoot, now);
        using var selfProof = RootProof.Issue(attackerRoot, otherKey, attackerRoot, now);
        Assert.Empty(roots.Adopt(new CaRoots([new RootOffer(attackerRoot.RawData, genuine.RawData), new RootOffer(attackerRoot.RawData, selfProof.RawData)])));
        Assert.Single(roots.Live());
        Assert.False(File.Exists(temp.Combine(PinnedRoots.RootsFile)));
        Assert.Equal(0, changes);

        Assert.Single(roots.Adopt(new CaRoots([new RootOffer(newRoot.RawData, genuine.RawData)])));
        Assert.Equal(2, roots.Live().Count);
        Assert.Equal(1, changes);
        Assert.Equal(2, PinnedRoots.Load(temp.Path, new ManualTime(now), NullLogger.Instance).Live().Count);
    }
}
