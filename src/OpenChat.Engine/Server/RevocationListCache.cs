using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>The CRL the server hands to clients: signed again only when the revoked set changed
/// (or after an hour), so many clients asking cost one signature, and a revocation shows at once.</summary>
/// <remarks>Its age is read on the server's clock (the CA's), the one that dated it: a clock
/// moved on (or back) gets a list dated by it, never one its clients would call expired.</remarks>
internal sealed class RevocationListCache(ICaStore store, CertificateAuthority ca, TimeProvider? time = null)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private readonly Lock _gate = new();

    private (byte[] Der, string Serials, DateTimeOffset At) _crl = ([], "", DateTimeOffset.MinValue);

    public byte[] Current()
    {
        var serials = string.Join(',', store.RevokedSince(DateTimeOffset.MinValue).Order(StringComparer.Ordinal));
        lock (_gate)
        {
            var age = _time.GetUtcNow() - _crl.At;
            if (_crl.Der.Length == 0 || _crl.Serials != serials || age > MaxAge || age < TimeSpan.Zero)
            {
                var list = ca.CreateRevocationList(TimeSpan.FromDays(1));
                _crl = (list.Der, serials, list.ThisUpdate);
            }

            return _crl.Der;
        }
    }
}
