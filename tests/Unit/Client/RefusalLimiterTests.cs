using OpenChat.Engine.Client;

namespace OpenChat.Tests.Unit.Client;

public class RefusalLimiterTests
{
    private static readonly DateTimeOffset T = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_flood_of_refusals_from_one_sender_is_reported_a_few_times_a_minute_with_a_count()
    {
        var limiter = new RefusalLimiter();
        var reported = Enumerable.Range(0, 300).Select(i => limiter.Admit("ops", "mallory", T.AddMilliseconds(i * 3), "Commit refused: junk")).Where(r => r is not null).ToList();
        Assert.Equal(RefusalLimiter.ReportedPerWindow, reported.Count);

        var next = limiter.Admit("ops", "mallory", T.AddMinutes(2), "Commit refused: junk");
        Assert.Equal($"Commit refused: junk ({300 - RefusalLimiter.ReportedPerWindow:N0} more refused from mallory before this were not shown)", next);
    }

    [Fact]
    public void Another_sender_or_room_is_counted_on_its_own()
    {
        var limiter = new RefusalLimiter();
        for (var i = 0; i < 50; i++)
        {
            limiter.Admit("ops", "mallory", T, "x");
        }

        Assert.NotNull(limiter.Admit("ops", "bob", T, "x"));
        Assert.NotNull(limiter.Admit("dev", "mallory", T, "x"));
    }
}
