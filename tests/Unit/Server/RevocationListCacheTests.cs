using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Server;

/// <summary>The CRL the server serves: one signature for many askers, a new one at each revocation.</summary>
public class RevocationListCacheTests
{
    [Fact]
    public void The_same_revoked_set_is_served_from_one_signature()
    {
        using var ca = new Ca();
        var cache = new RevocationListCache(ca.Directory.Store, ca.Authority);
        var first = cache.Current();
        Assert.Same(first, cache.Current());
    }

    [Fact]
    public void A_revocation_is_in_the_very_next_list()
    {
        using var ca = new Ca();
        var cache = new RevocationListCache(ca.Directory.Store, ca.Authority);
        var before = cache.Current();
        var serial = ca.Authority.IssueClient("alice").Record.Serial;
        ca.Registry.Revoke(serial);

        var after = cache.Current();
        Assert.NotSame(before, after);
        Assert.Contains(serial, CrlReader.VerifiedSerials(after, ca.Directory.Certificate), StringComparer.OrdinalIgnoreCase);
    }
}
