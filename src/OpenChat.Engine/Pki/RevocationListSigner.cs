using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Pki;

/// <summary>Signs a CRL of every certificate the store holds as revoked, numbered one past the
/// last, as <paramref name="issuer"/>. The current root and, during a rollover's overlap, the
/// previous one (<see cref="PreviousRoot"/>) sign through here: serials are random and unique
/// across both roots, so each list names every revocation of the CA, whichever root issued it.</summary>
internal static class RevocationListSigner
{
    public static RevocationList Sign(ICaStore store, X509Certificate2 issuer, ECDsa key, TimeSpan validFor, DateTimeOffset now, ILogger log)
    {
        if (validFor <= TimeSpan.Zero || validFor > TimeSpan.FromDays(366))
        {
            throw new OpenChatException(ErrorIds.ValidityInvalid, ErrorKind.InvalidArgument,
                "A revocation list must be valid for between a second and a year.");
        }

        var builder = new CertificateRevocationListBuilder();
        var serials = new List<string>();
        foreach (var record in store.FindCertificates().Where(r => r.RevokedAt is not null))
        {
            builder.AddEntry(Convert.FromHexString(record.Serial), record.RevokedAt!.Value, record.RevocationReason);
            serials.Add(record.Serial);
        }

        var number = store.NextCrlNumber();
        var akid = X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false);
        var der = builder.Build(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(key),
            new BigInteger(number), now + validFor, CertificateProfile.HashFor(key), akid, now);
        PkiLog.RevocationListSigned(log, number, serials.Count);
        return new RevocationList(der, number, now, now + validFor, serials);
    }
}
