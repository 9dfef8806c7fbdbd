using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Pki;

/// <summary>Reads a CRL's revoked serials after checking its signature against a CA the reader
/// already trusts (a client's pinned CA), so a relaying server cannot edit the list.</summary>
public static class CrlReader
{
    /// <summary>RFC 5280 §5.1: CertificateList = SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }.</summary>
    public static IReadOnlyList<string> VerifiedSerials(byte[] der, X509Certificate2 ca, TimeProvider? time = null) => Verified(der, ca, time).Serials;

    /// <summary>The revoked serials and the list's CRL number, after the same checks.</summary>
    public static (IReadOnlyList<string> Serials, System.Numerics.BigInteger Number) Verified(byte[] der, X509Certificate2 ca, TimeProvider? time = null)
    {
        var (entries, number) = VerifiedEntries(der, ca, time);
        return (entries.Select(e => e.Serial).ToList(), number);
    }

    /// <summary>Each revoked serial with the date the CA revoked it (a past event is judged by
    /// whether the revocation came before it), and the list's CRL number. A list whose next
    /// update is past on <paramref name="time"/> (the system clock by default) is refused.</summary>
    public static (IReadOnlyList<RevokedSerial> Entries, System.Numerics.BigInteger Number) VerifiedEntries(byte[] der, X509Certificate2 ca, TimeProvider? time = null)
    {
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var tbs = outer.PeekEncodedValue().ToArray();
            var list = outer.ReadSequence();
            outer.ReadSequence();
            var signature = outer.ReadBitString(out _);
            using var key = ca.GetECDsaPublicKey() ?? throw new CryptographicException("The CA key is not ECDSA.");
            var hash = key.KeySize > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
            if (!key.VerifyData(tbs, signature, hash, DSASignatureFormat.Rfc3279DerSequence))
            {
                throw new CryptographicException("The revocation list is not signed by the pinned CA.");
            }

            if (list.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                list.ReadInteger();
            }

            list.ReadSequence();
            list.ReadSequence();
            ReadTime(list);
            var tag = list.PeekTag();
            if (tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime))
            {
                // An expired list may be an old one replayed to hide a newer revocation.
                if (ReadTime(list) < (time ?? TimeProvider.System).GetUtcNow())
                {
                    throw new CryptographicException("The revocation list has expired (its next update is past).");
                }
            }

            var serials = new List<RevokedSerial>();
            if (list.HasData && list.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var revoked = list.ReadSequence();
                while (revoked.HasData)
                {
                    var entry = revoked.ReadSequence();
                    var serial = Convert.ToHexString(entry.ReadIntegerBytes().Span);
                    serials.Add(new RevokedSerial(serial, ReadTime(entry)));
                }
            }

            CertificateRevocationListBuilder.Load(der, out var number);
            return (serials, number);
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException("The revocation list is malformed.", e);
        }
    }

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}

/// <summary>A certificate serial on a revocation list and when the CA revoked it.</summary>
public sealed record RevokedSerial(string Serial, DateTimeOffset RevokedAt);
