using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Pki;

/// <summary>What a server's deployment has expiring soon: its own TLS certificate, the CA, and
/// users' certificates, as seen at <see cref="Now"/> over <see cref="Window"/>.</summary>
public sealed record ExpiryReport(
    DateTimeOffset Now,
    TimeSpan Window,
    DateTimeOffset ServerCertificateExpires,
    DateTimeOffset CaExpires,
    IReadOnlyList<CertificateRecord> UserCertificatesExpiring)
{
    /// <summary>The span an admin is warned about: thirty days leaves time to act by hand.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(30);

    /// <summary>How many user names a summary names before it says "and N more".</summary>
    public const int NamesShown = 3;

    public bool ServerCertificateExpiresSoon => ServerCertificateExpires - Now <= Window;

    public bool CaExpiresSoon => CaExpires - Now <= Window;

    public bool AnythingExpiresSoon => ServerCertificateExpiresSoon || CaExpiresSoon || UserCertificatesExpiring.Count > 0;

    /// <summary>Builds the report for a server presenting <paramref name="serverCertificate"/>
    /// from <paramref name="directory"/>.</summary>
    public static ExpiryReport For(CaDirectory directory, X509Certificate2 serverCertificate, DateTimeOffset now, TimeSpan? window = null)
    {
        var span = window ?? DefaultWindow;
        var users = directory.Store.FindCertificates(CertificateKind.Client)
            .Where(r => r.IsExpiringWithin(now, span))
            .OrderBy(r => r.NotAfter).ThenBy(r => r.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new ExpiryReport(now, span,
            new DateTimeOffset(serverCertificate.NotAfter.ToUniversalTime()),
            new DateTimeOffset(directory.Certificate.NotAfter.ToUniversalTime()),
            users);
    }

    /// <summary>One sentence naming what expires (or expired) within the window, or null when
    /// nothing does. User names are the CA's own records (checked by the name policy), still
    /// neutralised because an admin's terminal shows them.</summary>
    public string? Summary()
    {
        if (!AnythingExpiresSoon)
        {
            return null;
        }

        var parts = new List<string>();
        if (ServerCertificateExpiresSoon)
        {
            parts.Add($"the server's TLS certificate {When(ServerCertificateExpires)}");
        }

        if (CaExpiresSoon)
        {
            parts.Add($"the CA certificate {When(CaExpires)}");
        }

        if (UserCertificatesExpiring.Count > 0)
        {
            var names = UserCertificatesExpiring.Select(r => TerminalText.Neutralise(r.Name)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            var shown = string.Join(", ", names.Take(NamesShown)) + (names.Count > NamesShown ? $" and {names.Count - NamesShown} more" : "");
            parts.Add($"{UserCertificatesExpiring.Count} user certificate(s) ({shown})");
        }

        return $"Expiring within {Window.TotalDays:0.##} days: {string.Join("; ", parts)}.";
    }

    private string When(DateTimeOffset notAfter) =>
        notAfter <= Now ? $"expired on {notAfter:u}" : $"expires on {notAfter:u}";
}
