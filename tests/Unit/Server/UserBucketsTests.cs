using OpenChat.Engine.Server;

namespace OpenChat.Tests.Unit.Server;

public sealed class UserBucketsTests
{
    // Timestamps the test moves by hand (ManualTime moves only the wall clock).
    private sealed class SteppedClock : TimeProvider
    {
        public long Ticks { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    [Fact]
    public void A_user_over_the_budget_is_refused_and_another_user_is_not()
    {
        var buckets = new UserBuckets(0, 2, new SteppedClock());

        Assert.True(buckets.TryTake("alice"));
        Assert.True(buckets.TryTake("alice"));
        Assert.False(buckets.TryTake("alice"));
        Assert.True(buckets.TryTake("bob"));
    }

    [Fact]
    public void The_budget_refills_with_time_from_the_given_clock()
    {
        var clock = new SteppedClock();
        var buckets = new UserBuckets(1, 1, clock);
        Assert.True(buckets.TryTake("alice"));
        Assert.False(buckets.TryTake("alice"));

        clock.Ticks += TimeSpan.TicksPerSecond;

        Assert.True(buckets.TryTake("alice"));
    }

    [Fact]
    public void A_flood_of_names_cannot_grow_it_past_its_capacity()
    {
        var buckets = new UserBuckets(0, 5, new SteppedClock(), capacity: 100);

        for (var i = 0; i < 10_000; i++)
        {
            buckets.TryTake($"user{i}");
        }

        Assert.True(buckets.Count <= 100, $"{buckets.Count} buckets are held.");
    }

    [Fact]
    public void Buckets_that_refilled_are_forgotten_first_and_a_busy_user_keeps_its_spent_budget()
    {
        var clock = new SteppedClock();
        var buckets = new UserBuckets(1, 1, clock, capacity: 3);
        Assert.True(buckets.TryTake("a"));
        Assert.True(buckets.TryTake("b"));
        clock.Ticks += TimeSpan.TicksPerSecond;
        Assert.True(buckets.TryTake("mallory"));

        // a and b have refilled: a new name makes room by forgetting them, not mallory.
        Assert.True(buckets.TryTake("c"));

        Assert.Equal(2, buckets.Count);
        Assert.False(buckets.TryTake("mallory"));
    }
}
