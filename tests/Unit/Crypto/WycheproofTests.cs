using System.Security.Cryptography;
using OpenChat.Engine.Crypto;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Crypto;

/// <summary>Wycheproof vectors through the same functions the protocol calls. "acceptable"
/// cases may go either way; "valid" must pass and "invalid" must fail.</summary>
public class WycheproofTests
{
    private static void Check(string file, Func<System.Text.Json.JsonElement, System.Text.Json.JsonElement, bool> accepts)
    {
        var count = 0;
        var wrong = new List<string>();
        foreach (var (group, test) in Vectors.Wycheproof(file))
        {
            count++;
            var result = test.GetProperty("result").GetString();
            bool ok;
            try
            {
                ok = accepts(group, test);
            }
            catch (Exception e) when (e is CryptoException or CryptographicException or ArgumentException)
            {
                ok = false;
            }

            if ((result == "valid" && !ok) || (result == "invalid" && ok))
            {
                wrong.Add($"tcId {test.GetProperty("tcId").GetInt32()} ({result}): {test.GetProperty("comment").GetString()}");
            }
        }

        Assert.True(count > 50, $"{file} had only {count} cases");
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void Ecdsa_p256_p1363() => Check("ecdsa_secp256r1_sha256_p1363_test.json", (group, test) =>
        Signatures.Verify(Convert.FromHexString(group.GetProperty("publicKey").GetProperty("uncompressed").GetString()!),
            Vectors.Hex(test, "msg"), Vectors.Hex(test, "sig")));

    [Fact]
    public void Ecdh_p256_raw_points() => Check("ecdh_secp256r1_ecpoint_test.json", (_, test) =>
    {
        var scalar = Vectors.Hex(test, "private");
        // Wycheproof writes scalars as signed big-endian integers: strip a leading zero, pad to 32.
        scalar = scalar.Length > 32 ? scalar[^32..] : [.. new byte[32 - scalar.Length], .. scalar];
        using var own = KeyAgreement.ImportPrivate(scalar);
        return KeyAgreement.SharedSecret(own, Vectors.Hex(test, "public")).AsSpan().SequenceEqual(Vectors.Hex(test, "shared"));
    });

    [Fact]
    public void Hkdf_sha256() => Check("hkdf_sha256_test.json", (_, test) =>
        Kdf.Hkdf(Vectors.Hex(test, "ikm"), Vectors.Hex(test, "salt"), Vectors.Hex(test, "info"), test.GetProperty("size").GetInt32())
            .AsSpan().SequenceEqual(Vectors.Hex(test, "okm")));

    [Fact]
    public void Hmac_sha256() => Check("hmac_sha256_test.json", (group, test) =>
    {
        var tag = Kdf.Hmac(Vectors.Hex(test, "key"), Vectors.Hex(test, "msg"));
        var expected = Vectors.Hex(test, "tag");
        return tag.AsSpan(0, expected.Length).SequenceEqual(expected);
    });

    [Fact]
    public void Aes_cbc_pkcs5() => Check("aes_cbc_pkcs5_test.json", (_, test) =>
    {
        var plain = AesCbc.Decrypt(Vectors.Hex(test, "key"), Vectors.Hex(test, "iv"), Vectors.Hex(test, "ct"));
        return plain.AsSpan().SequenceEqual(Vectors.Hex(test, "msg"))
            && AesCbc.Encrypt(Vectors.Hex(test, "key"), Vectors.Hex(test, "iv"), plain).AsSpan().SequenceEqual(Vectors.Hex(test, "ct"));
    });

    [Fact]
    public void Signatures_made_here_verify_in_python()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var message = "signed in .NET"u8.ToArray();
        var signature = Signatures.Sign(key, message);
        var script = """
            import sys
            from cryptography.hazmat.primitives.asymmetric import ec, utils
            from cryptography.hazmat.primitives import hashes
            point, msg, sig = (bytes.fromhex(a) for a in sys.argv[1:4])
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            der = utils.encode_dss_signature(int.from_bytes(sig[:32], 'big'), int.from_bytes(sig[32:], 'big'))
            key.verify(der, msg, ec.ECDSA(hashes.SHA256()))
            try:
                key.verify(der, msg + b'!', ec.ECDSA(hashes.SHA256()))
                print('tampered accepted')
            except Exception:
                print('ok')
            """;
        var output = FernetTests.Python(script, Convert.ToHexString(Signatures.PublicPoint(key)), Convert.ToHexString(message), Convert.ToHexString(signature));
        Assert.Equal(["ok"], output);
    }
}
