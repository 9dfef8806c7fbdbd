using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

public class RequestTrackerTests
{
    [Fact]
    public void A_tag_is_never_zero_and_never_one_still_waiting_after_the_counter_wraps()
    {
        var tracker = new RequestTracker(TimeProvider.System, new RecordingLogger(), firstTag: uint.MaxValue - 2);
        var beforeWrap = tracker.NextTag();
        _ = tracker.Expect(beforeWrap);
        Assert.Equal(uint.MaxValue - 1, beforeWrap);
        Assert.Equal(uint.MaxValue, tracker.NextTag());
        _ = tracker.Expect(2);
        tracker.TrackPublish(3, Guid.NewGuid());

        Assert.Equal(1u, tracker.NextTag()); // 0 is the server's own announcements
        Assert.Equal(4u, tracker.NextTag()); // 2 waits for a reply, 3 for an acknowledgement
    }

    [Fact]
    public void A_tag_answered_is_free_again()
    {
        var tracker = new RequestTracker(TimeProvider.System, new RecordingLogger(), firstTag: uint.MaxValue);
        _ = tracker.Expect(1);
        Assert.True(tracker.Complete(1, new Left(1, "ops")));
        Assert.False(tracker.Complete(1, new Left(1, "ops"))); // a second reply under the tag finds nobody

        Assert.Equal(1u, tracker.NextTag());
    }

    [Fact]
    public async Task A_request_that_times_out_fails_alone_and_is_logged()
    {
        var time = new SteppedTime();
        var log = new RecordingLogger();
        var tracker = new RequestTracker(time, log);
        var slow = tracker.NextTag();
        var other = tracker.NextTag();
        var slowWait = tracker.WaitAsync(slow, tracker.Expect(slow), TimeSpan.FromSeconds(10), CancellationToken.None);
        var otherReply = tracker.Expect(other);

        await Eventually.TrueAsync(() => time.Armed == 1, "the timeout to be armed");
        time.Advance(TimeSpan.FromSeconds(10));

        var timedOut = await Assert.ThrowsAsync<OpenChatException>(() => slowWait);
        Assert.Equal(ErrorIds.Timeout, timedOut.ErrorId);
        Assert.True(log.Logged("RequestTimedOut"));
        Assert.Equal(1, tracker.Pending);
        Assert.True(tracker.Complete(other, new Left(other, "ops")));
        Assert.IsType<Left>(await otherReply);
    }

    [Fact]
    public async Task A_reply_in_time_is_returned_and_leaves_nothing_waiting()
    {
        var time = new SteppedTime();
        var tracker = new RequestTracker(time, new RecordingLogger());
        var tag = tracker.NextTag();
        var wait = tracker.WaitAsync(tag, tracker.Expect(tag), TimeSpan.FromSeconds(10), CancellationToken.None);

        tracker.Complete(tag, new Left(tag, "ops"));

        Assert.Equal("ops", Assert.IsType<Left>(await wait).Room);
        Assert.Equal(0, tracker.Pending);
    }

    [Fact]
    public async Task A_lost_connection_fails_every_waiting_request_and_any_made_later()
    {
        var tracker = new RequestTracker(TimeProvider.System, new RecordingLogger());
        var first = tracker.Expect(tracker.NextTag());
        var second = tracker.Expect(tracker.NextTag());
        tracker.TrackPublish(tracker.NextTag(), Guid.NewGuid());
        var lost = new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, "lost");

        tracker.FailAll(lost);

        Assert.Same(lost, await Assert.ThrowsAsync<OpenChatException>(() => first));
        Assert.Same(lost, await Assert.ThrowsAsync<OpenChatException>(() => second));
        Assert.Same(lost, await Assert.ThrowsAsync<OpenChatException>(() => tracker.Expect(tracker.NextTag())));
        Assert.Equal(0, tracker.Pending);
        Assert.False(tracker.TakePublish(3, out _));
    }

    [Fact]
    public async Task A_cancelled_wait_frees_its_tag()
    {
        var tracker = new RequestTracker(TimeProvider.System, new RecordingLogger());
        using var cancel = new CancellationTokenSource();
        var tag = tracker.NextTag();
        var wait = tracker.WaitAsync(tag, tracker.Expect(tag), TimeSpan.FromMinutes(1), cancel.Token);

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.Equal(0, tracker.Pending);
    }
}
