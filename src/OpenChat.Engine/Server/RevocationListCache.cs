using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>The CRLs the server hands to clients: signed again only when the revoked set changed
/// (or after an hour), so many clients asking cost one signature, and a revocation shows at once.
/// During a CA rollover's overlap the previous root signs its own list too (before the current
/// root, so the current root's list carries the higher number): see <see cref="All"/>.</summary>
internal sealed class RevocationListCache(ICaStore store, CertificateAuthority ca, PreviousRoot? previous = null, TimeProvider? time = null, ILogger? log = null)
{
    private const long MaxAgeMilliseconds = 3_600_000;

    private readonly Lock _gate = new();

    private (byte[] Der, byte[]? Previous, string Serials, long At) _crl = ([], null, "", 0);

    /// <summary>The current root's list.</summary>
    public byte[] Current() => Refresh().Der;

    /// <summary>The current root's list, then the previous root's while that root is valid.</summary>
    public IReadOnlyList<byte[]> All()
    {
        var lists = Refresh();
        return lists.Previous is null ? [lists.Der] : [lists.Der, lists.Previous];
    }

    private (byte[] Der, byte[]? Previous, string Serials, long At) Refresh()
    {
        var serials = string.Join(',', store.RevokedSince(DateTimeOffset.MinValue).Order(StringComparer.Ordinal));
        lock (_gate)
        {
            if (_crl.Der.Length == 0 || _crl.Serials != serials || Environment.TickCount64 - _crl.At > MaxAgeMilliseconds)
            {
                var now = (time ?? TimeProvider.System).GetUtcNow();
                var older = previous is not null && previous.IsValidAt(now)
                    ? previous.CreateRevocationList(store, TimeSpan.FromDays(1), now, log ?? NullLogger.Instance).Der
                    : null;
                _crl = (ca.CreateRevocationList(TimeSpan.FromDays(1)).Der, older, serials, Environment.TickCount64);
            }

            return _crl;
        }
    }
}
