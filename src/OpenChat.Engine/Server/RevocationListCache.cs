using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>The CRL the server hands to clients: signed again only when the revoked set changed
/// (or after an hour), so many clients asking cost one signature, and a revocation shows at once.</summary>
internal sealed class RevocationListCache(ICaStore store, CertificateAuthority ca)
{
    private const long MaxAgeMilliseconds = 3_600_000;

    private readonly Lock _gate = new();

    private (byte[] Der, string Serials, long At) _crl = ([], "", 0);

    public byte[] Current()
    {
        var serials = string.Join(',', store.RevokedSince(DateTimeOffset.MinValue).Order(StringComparer.Ordinal));
        lock (_gate)
        {
            if (_crl.Der.Length == 0 || _crl.Serials != serials || Environment.TickCount64 - _crl.At > MaxAgeMilliseconds)
            {
                _crl = (ca.CreateRevocationList(TimeSpan.FromDays(1)).Der, serials, Environment.TickCount64);
            }

            return _crl.Der;
        }
    }
}
