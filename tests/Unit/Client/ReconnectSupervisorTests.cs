using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

public class ReconnectSupervisorTests
{
    [Fact]
    public void The_back_off_doubles_from_its_first_delay_up_to_the_ceiling()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(300));

        var delays = Enumerable.Range(0, 6).Select(_ => backoff.Next().TotalMilliseconds).ToArray();

        Assert.Equal([50, 100, 200, 300, 300, 300], delays);
    }

    [Fact]
    public async Task Failed_reconnects_wait_longer_each_time_on_the_clients_clock_until_one_succeeds()
    {
        var time = new SteppedTime();
        var log = new RecordingLogger();
        var target = new FakeTarget(failures: 5);
        var supervisor = new ReconnectSupervisor(target,
            new ChatClientOptions { Time = time, MaxReconnectDelay = TimeSpan.FromMilliseconds(300) }, "chat.test:7443", log);

        var reconnect = supervisor.ReconnectAsync(CancellationToken.None);
        for (var waited = 0; waited < 5; waited++)
        {
            await Eventually.TrueAsync(() => time.Armed == 1, $"back-off {waited + 1} to be armed");
            time.Advance(time.Requested[^1]);
        }

        Assert.Null(await reconnect);
        Assert.Equal(6, target.Attempts);
        Assert.Equal([50, 100, 200, 300, 300], time.Requested.Select(d => d.TotalMilliseconds));
        Assert.Equal(5, log.Events.Count(e => e.Id.Name == "ReconnectFailed"));
    }

    [Fact]
    public async Task A_refusal_that_retrying_cannot_help_ends_the_reconnects_at_once()
    {
        var time = new SteppedTime();
        var target = new FakeTarget(failures: int.MaxValue, failWith: ErrorIds.CertificateRevoked);
        var supervisor = new ReconnectSupervisor(target, new ChatClientOptions { Time = time }, "chat.test:7443", new RecordingLogger());

        Assert.Equal(ErrorIds.CertificateRevoked, await supervisor.ReconnectAsync(CancellationToken.None));
        Assert.Equal(1, target.Attempts);
        Assert.Empty(time.Requested);
    }

    [Fact]
    public async Task A_lost_connection_is_followed_by_reconnecting_then_connected_again()
    {
        var time = new SteppedTime();
        var target = new FakeTarget(failures: 1);
        var supervisor = new ReconnectSupervisor(target, new ChatClientOptions { Time = time }, "chat.test:7443", new RecordingLogger());
        using var disposing = new CancellationTokenSource();
        var supervising = supervisor.SuperviseAsync(disposing.Token);

        target.EndConnection();
        await Eventually.TrueAsync(() => time.Armed == 1, "the first back-off");
        time.Advance(TimeSpan.FromMilliseconds(50));
        await Eventually.TrueAsync(() => target.Changes.Contains("Reconnected"), "the reconnect");
        disposing.Cancel();
        await supervising;

        Assert.Equal(["Reconnecting", "Reconnected"], target.Changes);
    }

    [Fact]
    public async Task A_server_that_closed_the_identity_out_gets_no_reconnect()
    {
        var target = new FakeTarget(failures: 0) { ClosedReason = ErrorIds.CertificateRevoked };
        var supervisor = new ReconnectSupervisor(target, new ChatClientOptions(), "chat.test:7443", new RecordingLogger());
        var supervising = supervisor.SuperviseAsync(CancellationToken.None);

        target.EndConnection();
        await supervising;

        Assert.Equal(0, target.Attempts);
        Assert.Equal(["Closed:" + ErrorIds.CertificateRevoked], target.Changes);
    }

    private sealed class FakeTarget(int failures, string failWith = ErrorIds.ServerUnreachable) : IReconnectTarget
    {
        private TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public List<string> Changes { get; } = [];

        public Task CurrentEnded => _ended.Task;

        public string? ClosedReason { get; set; }

        public void EndConnection() => _ended.TrySetResult();

        public Task OpenAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _attempts) <= failures)
            {
                throw new OpenChatException(failWith, ErrorKind.Unavailable, "no");
            }

            _ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return Task.CompletedTask;
        }

        public void Reconnecting() => Changes.Add("Reconnecting");

        public void Reconnected() => Changes.Add("Reconnected");

        public void CloseForGood(string reason) => Changes.Add("Closed:" + reason);

        public void Ping(ulong nonce)
        {
        }
    }
}
