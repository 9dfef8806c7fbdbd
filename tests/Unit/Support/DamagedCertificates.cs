using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Tests.Unit.Support;

/// <summary>Certificates damaged the way fuzzing found them: they load, but do not hold together.</summary>
public static class DamagedCertificates
{
    /// <summary><paramref name="issued"/> with one byte of its public point's X coordinate changed:
    /// the key is off the curve (it does not decode) and the signature no longer holds either.</summary>
    public static X509Certificate2 OffCurve(X509Certificate2 issued)
    {
        var raw = issued.RawData;
        var point = issued.PublicKey.EncodedKeyValue.RawData; // 04 || X || Y
        var at = raw.AsSpan().IndexOf(point);
        Assert.True(at > 0, "the public point is in the certificate");
        raw[at + 5] ^= 0x01;
        return X509CertificateLoader.LoadCertificate(raw);
    }
}
