using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OpenChat.Engine.Pki;

/// <summary>
/// What a server needs from its data directory before it can listen: an open CA and the server's
/// own certificate with its key. A bare directory gets both (a CA named after this machine, and a
/// server certificate for its local names), so a path is all a first start needs; whatever is
/// already there is kept.
/// </summary>
public static class ServerBootstrap
{
    /// <summary>The name of a CA created for a bare data directory.</summary>
    public static string DefaultCaName => "OpenChat CA " + Environment.MachineName;

    /// <summary>Creates what is missing in <paramref name="directory"/> and opens the CA with
    /// <paramref name="caPassword"/> (a new CA's key is encrypted with it). The caller owns both
    /// results; on a failure nothing stays open.</summary>
    public static (CertificateAuthority Authority, X509Certificate2 Certificate) Ensure(CaDirectory directory,
        ReadOnlySpan<char> caPassword, TimeProvider? time = null, ILogger? log = null)
    {
        if (!directory.HasCa)
        {
            CertificateAuthority.Create(directory.Path, DefaultCaName, caPassword, time: time, stores: directory.StoreFactory, log: log);
        }

        time ??= TimeProvider.System;
        log ??= NullLogger.Instance;
        var authority = OpenForServer(directory, caPassword, time, log);
        try
        {
            if (!File.Exists(directory.ServerCertificatePath) || !File.Exists(directory.ServerKeyPath))
            {
                authority.IssueServer([], []).Certificate.Dispose();
            }

            var installed = X509Certificate2.CreateFromPemFile(directory.ServerCertificatePath, directory.ServerKeyPath);
            return (authority, ServerCertificateRenewal.AtStart(authority, installed, time, log));
        }
        catch
        {
            authority.Dispose();
            throw;
        }
    }

    // Without the CA's key the server cannot renew: an expired certificate then refuses the
    // start by name rather than as a missing password, which is only the reason.
    private static CertificateAuthority OpenForServer(CaDirectory directory, ReadOnlySpan<char> caPassword, TimeProvider time, ILogger log)
    {
        try
        {
            return CertificateAuthority.Open(directory, caPassword, time, log);
        }
        catch (OpenChatException e) when (e.ErrorId is ErrorIds.CaPasswordRequired or ErrorIds.CaPasswordWrong && InstalledExpired(directory, time) is { } expired)
        {
            throw ServerCertificateRenewal.Refusal(expired.Serial, expired.NotAfter, e, log);
        }
    }

    private static (string Serial, DateTimeOffset NotAfter)? InstalledExpired(CaDirectory directory, TimeProvider time)
    {
        if (!File.Exists(directory.ServerCertificatePath))
        {
            return null;
        }

        using var installed = X509Certificate2.CreateFromPem(File.ReadAllText(directory.ServerCertificatePath));
        return ServerCertificateRenewal.IsExpired(installed, time.GetUtcNow())
            ? (installed.SerialNumber, new DateTimeOffset(installed.NotAfter.ToUniversalTime()))
            : null;
    }
}
