using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>The CRLs the server hands to clients: signed again only when the revoked set changed
/// (or after an hour), so many clients asking cost one signature, and a revocation shows at once.
/// During a CA rollover's overlap the previous root signs its own list too (before the current
/// root, so the current root's list carries the higher number): see <see cref="All"/>.</summary>
/// <remarks>Its age is read on the server's clock (the CA's), the one that dated it: a clock
/// moved on (or back) gets a list dated by it, never one its clients would call expired.</remarks>
internal sealed class RevocationListCache(ICaStore store, CertificateAuthority ca, PreviousRoot? previous = null, TimeProvider? time = null, ILogger? log = null)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private readonly Lock _gate = new();

    private (byte[] Der, byte[]? Previous, string Serials, DateTimeOffset At) _crl = ([], null, "", DateTimeOffset.MinValue);

    /// <summary>The current root's list.</summary>
    public byte[] Current() => Refresh().Der;

    /// <summary>The current root's list, then the previous root's while that root is valid.</summary>
    public IReadOnlyList<byte[]> All()
    {
        var lists = Refresh();
        return lists.Previous is null ? [lists.Der] : [lists.Der, lists.Previous];
    }

    private (byte[] Der, byte[]? Previous, string Serials, DateTimeOffset At) Refresh()
    {
        var serials = string.Join(',', store.RevokedSince(DateTimeOffset.MinValue).Order(StringComparer.Ordinal));
        lock (_gate)
        {
            var age = _time.GetUtcNow() - _crl.At;
            if (_crl.Der.Length == 0 || _crl.Serials != serials || age > MaxAge || age < TimeSpan.Zero)
            {
                var now = _time.GetUtcNow();
                var older = previous is not null && previous.IsValidAt(now)
                    ? previous.CreateRevocationList(store, TimeSpan.FromDays(1), now, log ?? NullLogger.Instance).Der
                    : null;
                var list = ca.CreateRevocationList(TimeSpan.FromDays(1));
                _crl = (list.Der, older, serials, list.ThisUpdate);
            }

            return _crl;
        }
    }
}
