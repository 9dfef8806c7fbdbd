using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Time;

/// <summary>The revocation list a server hands out is aged on the server's clock, the one that
/// dated it, and a client judges its freshness on its own injected clock.</summary>
public class RevocationListClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_list_an_hour_old_on_the_servers_clock_is_signed_again_and_fresh_for_a_client_on_that_clock()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        var cache = new RevocationListCache(ca.Directory.Store, ca.Authority, time: time);
        var first = cache.Current();
        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Same(first, cache.Current());

        time.Advance(TimeSpan.FromDays(2));
        var later = cache.Current();
        Assert.NotSame(first, later);
        CrlReader.VerifiedEntries(later, ca.Directory.Certificate, new ManualTime(time.Now + TimeSpan.FromMinutes(10)));
        Assert.ThrowsAny<Exception>(() => CrlReader.VerifiedEntries(first, ca.Directory.Certificate, time));
    }

    [Fact]
    public void A_server_clock_moved_back_gets_a_list_dated_by_it()
    {
        var time = new ManualTime(Start);
        using var ca = new Ca(time);
        var cache = new RevocationListCache(ca.Directory.Store, ca.Authority, time: time);
        var first = cache.Current();
        time.Advance(TimeSpan.FromMinutes(-30));
        Assert.NotSame(first, cache.Current());
    }
}
