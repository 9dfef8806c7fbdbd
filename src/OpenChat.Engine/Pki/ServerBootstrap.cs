using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

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

        var authority = CertificateAuthority.Open(directory, caPassword, time, log);
        try
        {
            if (!File.Exists(directory.ServerCertificatePath) || !File.Exists(directory.ServerKeyPath))
            {
                authority.IssueServer([], []).Certificate.Dispose();
            }

            return (authority, X509Certificate2.CreateFromPemFile(directory.ServerCertificatePath, directory.ServerKeyPath));
        }
        catch
        {
            authority.Dispose();
            throw;
        }
    }
}
