using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Client;

/// <summary>Renews a profile's certificate when no session of it is open: on a connection of its
/// own (a renewal-only one if the certificate has expired within the server's grace window),
/// with the profile's lock held so no session elsewhere renews at the same time.</summary>
public static class IdentityRenewal
{
    /// <summary>Renews with the same key; returns the renewed certificate (already stored).</summary>
    public static async Task<X509Certificate2> RenewAsync(ChatProfile profile, ReadOnlyMemory<char> password, ChatClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ChatClientOptions();
        var log = options.LoggerFactory.CreateLogger(typeof(IdentityRenewal).FullName!);
        using var profileLock = ChatClient.TakeProfileLock(profile);
        using var identity = profile.LoadIdentity(password.Span);
        var roots = PinnedRoots.Load(profile, options.Time, log).RequireLive();
        var renewed = await RenewalExchange.RunAsync(profile, options.Server ?? profile.Server, roots, identity, [], options.ConnectTimeout, cancellationToken, options.Time)
            .ConfigureAwait(false);
        try
        {
            RenewedCertificateCheck.Check(renewed, roots, profile.UserName, identity.PublicKey.ExportSubjectPublicKeyInfo(), options.Time.GetUtcNow(), identity);
            profile.ReplaceCertificate(renewed);
        }
        catch
        {
            renewed.Dispose();
            throw;
        }

        CertificateRenewalLog.Renewed(log, profile.UserName, identity.SerialNumber, renewed.SerialNumber, renewed.NotAfter.ToUniversalTime());
        return renewed;
    }
}
