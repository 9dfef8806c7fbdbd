using OpenChat.Engine.Diagnostics;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Diagnostics;

public class LogThrottleTests
{
    /// <summary>A clock whose monotonic timestamps move only when the test says.</summary>
    private sealed class StepClock : TimeProvider
    {
        public long Ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    [Fact]
    public void A_flood_of_one_event_is_cut_to_its_rate_and_the_lines_held_back_are_counted_in_one_summary()
    {
        var clock = new StepClock();
        var logs = new RecordingLoggerFactory();
        var log = logs.CreateLogger("test");
        var throttle = new LogThrottle("RefusedBusy", perSecond: 10, burst: 5, time: clock);

        var admitted = Enumerable.Range(0, 1000).Count(_ => throttle.Admit(log));
        Assert.Equal(5, admitted);
        Assert.Empty(logs.Events);

        clock.Ticks += TimeSpan.TicksPerSecond / 10; // one more line's worth
        Assert.True(throttle.Admit(log));
        var summary = Assert.Single(logs.Events);
        Assert.Equal(2, summary.EventId);
        Assert.Contains("995 lines of RefusedBusy", summary.Message, StringComparison.Ordinal);
        Assert.False(throttle.Admit(log));
    }
}
