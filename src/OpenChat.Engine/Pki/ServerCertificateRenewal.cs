using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Pki;

/// <summary>
/// When the server renews its own TLS certificate, and what a renewal keeps. It is due once two
/// thirds of its validity have passed (as step-ca's renewer does), so a server that is down for a
/// while still comes back with time to spare, and at the latest when it has expired.
/// </summary>
/// <remarks>A renewal keeps the key. Every invite pins the server's key (the SHA-256 of its
/// SubjectPublicKeyInfo), so a new key would break every invite not yet redeemed; clients pin
/// the CA, not the certificate, so a new certificate with the same key is invisible to them. A
/// stolen server key is handled by issuing a new server certificate and revoking the old one
/// (New-ChatCertificate -Server -Force, then Revoke-ChatCertificate), not by renewal.</remarks>
public static class ServerCertificateRenewal
{
    /// <summary>True once two thirds of the certificate's validity have passed at <paramref name="now"/>.</summary>
    public static bool IsDue(X509Certificate2 certificate, DateTimeOffset now) => now >= RenewAt(certificate);

    /// <summary>The moment two thirds of the certificate's validity have passed, counted from its
    /// issuance: the CA starts a certificate <see cref="ClockSkew.Backdating"/> early for slow
    /// clocks, and counting that as life would renew a ten-minute certificate under two minutes
    /// after it was issued.</summary>
    public static DateTimeOffset RenewAt(X509Certificate2 certificate)
    {
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        var issued = notBefore + ClockSkew.Backdating < notAfter ? notBefore + ClockSkew.Backdating : notBefore;
        return issued + (notAfter - issued) * 2 / 3;
    }

    /// <summary>Due, and a renewal would last longer: a certificate that already ends with the CA
    /// (renewals are cut at the CA's end) gains nothing, and renewing it would repeat on every check.</summary>
    public static bool IsWorthRenewing(X509Certificate2 certificate, X509Certificate2 ca, DateTimeOffset now) =>
        IsDue(certificate, now) && certificate.NotAfter.ToUniversalTime() < ca.NotAfter.ToUniversalTime();

    public static bool IsExpired(X509Certificate2 certificate, DateTimeOffset now) =>
        now >= new DateTimeOffset(certificate.NotAfter.ToUniversalTime());

    /// <summary>The names of <paramref name="certificate"/> and its lifetime in whole days (at
    /// least one): what its renewal repeats.</summary>
    public static (IReadOnlyList<string> DnsNames, IReadOnlyList<IPAddress> Addresses, TimeSpan Lifetime) Describe(X509Certificate2 certificate)
    {
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        IReadOnlyList<string> dnsNames = san is null ? [] : [.. san.EnumerateDnsNames()];
        IReadOnlyList<IPAddress> addresses = san is null ? [] : [.. san.EnumerateIPAddresses()];
        // The same lifetime as the certificate it replaces, to the minute (a ten-minute one stays
        // ten minutes), within what the CA issues at all. The span from NotBefore includes the
        // CA's backdating, which is not lifetime: counted in, every renewal would grow by it.
        var lifetime = TimeSpan.FromMinutes(Math.Round((certificate.NotAfter - certificate.NotBefore - ClockSkew.Backdating).TotalMinutes));
        var longest = TimeSpan.FromDays(CertificateAuthority.MaxLeafValidDays);
        return (dnsNames, addresses, lifetime < CertificateLifetime.Minimum ? CertificateLifetime.Minimum : lifetime > longest ? longest : lifetime);
    }

    /// <summary>At start: renews an installed certificate that is due. One that has expired and
    /// cannot be renewed refuses the start (<see cref="ErrorIds.ServerCertificateExpired"/>);
    /// one still valid is served, with a warning, and renewed later by the running server.</summary>
    internal static X509Certificate2 AtStart(CertificateAuthority authority, X509Certificate2 installed, TimeProvider time, ILogger log)
    {
        var now = time.GetUtcNow();
        if (!IsExpired(installed, now) && !IsWorthRenewing(installed, authority.Directory.Certificate, now))
        {
            return installed;
        }

        try
        {
            var renewed = Renew(authority, installed, log);
            installed.Dispose();
            return renewed;
        }
        catch (Exception e) when (!IsExpired(installed, now))
        {
            PkiLog.ServerCertificateRenewalFailed(log, e, installed.SerialNumber, installed.NotAfter.ToUniversalTime());
            return installed;
        }
        catch (OpenChatException e)
        {
            var serial = installed.SerialNumber;
            var notAfter = new DateTimeOffset(installed.NotAfter.ToUniversalTime());
            installed.Dispose();
            throw Refusal(serial, notAfter, e, log);
        }
    }

    /// <summary>The error a start gets for an expired certificate it cannot renew, logged.</summary>
    internal static OpenChatException Refusal(string serial, DateTimeOffset notAfter, OpenChatException cause, ILogger log)
    {
        PkiLog.ServerCertificateRefused(log, serial, notAfter, cause.ErrorId);
        return new OpenChatException(ErrorIds.ServerCertificateExpired, ErrorKind.InvalidOperation,
            $"The server certificate expired on {notAfter:u} and the server cannot renew it ({cause.ErrorId}: {cause.Message}) "
            + "Start it with the CA's password (-CaPassword) so it renews the certificate itself, or issue a new one with New-ChatCertificate -Server -Force.", cause);
    }

    /// <summary>Renews <paramref name="installed"/> with the CA and returns the new certificate with its key.</summary>
    public static X509Certificate2 Renew(CertificateAuthority authority, X509Certificate2 installed, ILogger log)
    {
        var issued = authority.RenewServer(installed);
        issued.Certificate.Dispose();
        PkiLog.ServerCertificateRenewed(log, installed.SerialNumber, installed.NotAfter.ToUniversalTime(),
            issued.Record.Serial, issued.Record.NotAfter);
        // Loaded back from the files, as a start loads it: what is served is what is installed.
        var directory = authority.Directory;
        return X509Certificate2.CreateFromPemFile(directory.ServerCertificatePath, directory.ServerKeyPath);
    }
}
