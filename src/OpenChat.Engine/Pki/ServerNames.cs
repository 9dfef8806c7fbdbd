using System.Net;
using System.Text.RegularExpressions;

namespace OpenChat.Engine.Pki;

/// <summary>Validation of the names a server certificate and an invite may carry.</summary>
public static partial class ServerNames
{
    public const int DefaultPort = 7443;

    [GeneratedRegex("^(?=.{1,253}\\z)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostName();

    public static bool IsHostName(string? name) => !string.IsNullOrEmpty(name) && HostName().IsMatch(name);

    /// <summary>The names a server certificate gets when the admin names none.</summary>
    public static (IReadOnlyList<string> Dns, IReadOnlyList<IPAddress> Addresses) Defaults()
    {
        var dns = new List<string> { "localhost" };
        var machine = Environment.MachineName;
        if (IsHostName(machine) && !string.Equals(machine, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            dns.Add(machine);
        }

        return (dns, new[] { IPAddress.Loopback, IPAddress.IPv6Loopback });
    }

    /// <summary>Refuses a user name that equals any DNS name of any server certificate this CA
    /// issued, so a user cannot look like the server in a name-based check, nor one that only reads
    /// like such a name (<see cref="UserNameSkeleton"/>: "1ocalhost") when <paramref name="lookalikes"/>
    /// is set: for a name new to the CA, not for the renewal of one that exists.</summary>
    public static void EnsureNotServerName(Storage.ICaStore store, string userName, bool lookalikes = false)
    {
        var skeleton = UserNameSkeleton.Of(userName);
        foreach (var record in store.FindCertificates(CertificateKind.Server))
        {
            using var certificate = record.ToCertificate();
            var san = certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().FirstOrDefault();
            var names = (san?.EnumerateDnsNames() ?? []).Append(record.Name);
            if (names.Any(n => string.Equals(n, userName, StringComparison.OrdinalIgnoreCase)))
            {
                throw new OpenChatException(ErrorIds.UserNameReserved, ErrorKind.PolicyViolation,
                    $"'{userName}' is one of this server's own names and cannot be given to a user.");
            }

            if (lookalikes && names.FirstOrDefault(n => UserNameSkeleton.Of(n) == skeleton) is { } alike)
            {
                throw UserNamePolicy.Confusable(userName, alike, serverName: true);
            }
        }
    }

    public static void ValidateDnsName(string name)
    {
        if (!IsHostName(name))
        {
            throw new OpenChatException(ErrorIds.ServerNameInvalid, ErrorKind.InvalidArgument,
                $"'{UserNamePolicy.Printable(name)}' is not a valid DNS name for a server certificate (letters, digits and '-' in dot-separated labels; no wildcards).");
        }
    }

    /// <summary>Parses "host:port", "[v6]:port" or a bare host (default port).</summary>
    public static (string Host, int Port) ParseAddress(string? address)
    {
        var text = address?.Trim() ?? "";
        string host;
        var port = DefaultPort;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0)
            {
                throw BadAddress(text);
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && (!rest.StartsWith(':') || !TryPort(rest[1..], out port)))
            {
                throw BadAddress(text);
            }

            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                throw BadAddress(text);
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':') != colon)
            {
                throw BadAddress(text); // a bare IPv6 address must be bracketed
            }

            host = colon < 0 ? text : text[..colon];
            if (colon >= 0 && !TryPort(text[(colon + 1)..], out port))
            {
                throw BadAddress(text);
            }

            if (!IsHostName(host) && !IPAddress.TryParse(host, out _))
            {
                throw BadAddress(text);
            }
        }

        return (host, port);
    }

    public static string FormatAddress(string host, int port) =>
        host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
        && port is > 0 and <= 65535;

    private static OpenChatException BadAddress(string text) =>
        new(ErrorIds.ServerAddressInvalid, ErrorKind.InvalidArgument,
            $"'{UserNamePolicy.Printable(text)}' is not a server address. Use host:port, for example chat.example.org:{DefaultPort} or [::1]:{DefaultPort}.");
}
