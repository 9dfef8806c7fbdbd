// What the CA reads from people it has not yet trusted (invites pasted in, CSRs sent with an
// enrollment) and what a client checks before it believes it (the CA's revocation list, relayed
// by a server that may edit it).
using System.Buffers.Text;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OpenChat.Engine;
using OpenChat.Engine.Pki;

namespace OpenChat.Fuzz.Targets;

internal static class PkiTargets
{
    public static IEnumerable<DecoderTarget> All =>
    [
        new("invites", ParseInvite, e => e is OpenChatException, InviteSeeds),
        new("csrs", CheckCsr, e => e is OpenChatException, CsrSeeds),
        new("crls", ReadCrl, e => e is CryptographicException, CrlSeeds),
    ];

    // Input: a first byte 0 and the invite's JSON payload (wrapped as an invite, so mutations
    // reach the fields rather than the base64), or any other first byte and the text as pasted.
    private static void ParseInvite(byte[] data)
    {
        if (data.Length == 0)
        {
            return;
        }

        var text = data[0] == 0 ? InviteCode.Prefix + Base64Url.EncodeToString(data.AsSpan(1)) : Encoding.UTF8.GetString(data);
        var invite = InviteCode.Parse(text);
        _ = InviteCode.Parse(invite.ToString());
    }

    private static IEnumerable<byte[]> InviteSeeds()
    {
        var secret = SHA256.HashData("OpenChat fuzz fixture: invite secret"u8);
        var fingerprint = SHA256.HashData(FuzzFixture.Ca.RawData);
        var pin = SHA256.HashData("OpenChat fuzz fixture: server key"u8);
        var one = new InviteCode("chat.example.org:7443", fingerprint, pin, "inv-1", "alice", secret);
        var cluster = one with { Server = "[::1]:7443", Id = "inv-2", UserName = "bob", OtherServers = ["10.0.0.2:7443", "node3.example.org"] };
        foreach (var invite in new[] { one, cluster })
        {
            var text = invite.ToString();
            yield return Encoding.UTF8.GetBytes(text);
            yield return [0, .. Base64Url.DecodeFromChars(text.AsSpan(InviteCode.Prefix.Length))];
        }
    }

    private static void CheckCsr(byte[] data) => CsrPolicy.Check(Encoding.UTF8.GetString(data), "alice");

    private static IEnumerable<byte[]> CsrSeeds()
    {
        using var other = FuzzFixture.KeyFrom("OpenChat fuzz fixture: a CSR for someone else");
        return
        [
            Csr("CN=alice", FuzzFixture.AliceKey),
            Csr("CN=ALICE", FuzzFixture.AliceKey, extension: false),
            Csr("CN=alice", FuzzFixture.AliceKey, extension: false),
            Csr("CN=Alice, O=Example", FuzzFixture.AliceKey),
            Csr("CN=mallory", other),
        ];
    }

    // A requested extension is ignored by the policy, so a request with one is still accepted.
    private static byte[] Csr(string subject, ECDsa key, bool extension = true)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (extension)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        }

        return Encoding.UTF8.GetBytes(request.CreateSigningRequestPem());
    }

    private static void ReadCrl(byte[] data) => CrlReader.VerifiedEntries(data, FuzzFixture.Ca, FuzzFixture.Clock);

    private static IEnumerable<byte[]> CrlSeeds()
    {
        var signer = X509SignatureGenerator.CreateForECDsa(FuzzFixture.CaKey);
        var authority = X509AuthorityKeyIdentifierExtension.CreateFromCertificate(FuzzFixture.Ca, true, false);
        var empty = new CertificateRevocationListBuilder();
        var some = new CertificateRevocationListBuilder();
        some.AddEntry([0x11, 0x4F, 0x43], FuzzFixture.At.AddDays(-3), X509RevocationReason.KeyCompromise);
        some.AddEntry([0x7F, 0x01], FuzzFixture.At.AddDays(-1));
        var nextUpdate = FuzzFixture.At.AddDays(7);
        var thisUpdate = FuzzFixture.At.AddDays(-1);
        using var stranger = FuzzFixture.KeyFrom("OpenChat fuzz fixture: not the CA");
        return
        [
            empty.Build(FuzzFixture.Ca.SubjectName, signer, BigInteger.One, nextUpdate, HashAlgorithmName.SHA256, authority, thisUpdate),
            some.Build(FuzzFixture.Ca.SubjectName, signer, new BigInteger(42), nextUpdate, HashAlgorithmName.SHA256, authority, thisUpdate),
            some.Build(FuzzFixture.Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(stranger), new BigInteger(43), nextUpdate, HashAlgorithmName.SHA256, authority, thisUpdate),
        ];
    }
}
