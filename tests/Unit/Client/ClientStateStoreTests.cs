using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

public class ClientStateStoreTests
{
    private readonly Lock _dispatch = new();
    private ulong _read;

    private ClientStateStore Store(Action<ClientState> write, RecordingLogger? log = null) =>
        new(_dispatch, () => new ClientState { LastRead = { ["ops"] = _read } }, write, "state.json", null, log ?? new RecordingLogger());

    [Fact]
    public async Task A_slow_write_never_holds_the_dispatch_lock()
    {
        using var writing = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var store = Store(_ =>
        {
            writing.Release();
            release.Wait();
        });

        var save = Task.Run(store.SaveNow);
        Assert.True(await writing.WaitAsync(TimeSpan.FromSeconds(10)), "the write to start");
        var entered = await Task.Run(() =>
        {
            if (!_dispatch.TryEnter(TimeSpan.FromSeconds(10)))
            {
                return false;
            }

            _dispatch.Exit();
            return true;
        });

        release.Release();
        Assert.True(entered, "frames can be dispatched while the state file is being written");
        Assert.True(await save);
    }

    [Fact]
    public async Task The_newest_snapshot_wins_when_writes_queue_up_behind_a_slow_one()
    {
        var written = new List<ulong>();
        using var firstWriting = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var store = Store(state =>
        {
            if (written.Count == 0 && state.LastRead["ops"] == 1)
            {
                firstWriting.Release();
                release.Wait();
            }

            written.Add(state.LastRead["ops"]);
        });

        _read = 1;
        var first = Task.Run(store.SaveNow);
        Assert.True(await firstWriting.WaitAsync(TimeSpan.FromSeconds(10)));
        _read = 2;
        var second = Task.Run(store.SaveNow);
        await Eventually.TrueAsync(() => second.Status == TaskStatus.Running, "the second save to wait");
        _read = 3;
        var third = Task.Run(store.SaveNow);
        release.Release();
        await Task.WhenAll(first, second, third);

        Assert.Equal(3ul, written[^1]);
        Assert.DoesNotContain(2ul, written.Skip(written.IndexOf(3)));
    }

    [Fact]
    public void A_failing_write_is_logged_and_the_next_save_writes_the_newest_state()
    {
        var log = new RecordingLogger();
        var fail = true;
        ulong? onDisk = null;
        var store = Store(state =>
        {
            if (fail)
            {
                throw new IOException("disk full");
            }

            onDisk = state.LastRead["ops"];
        }, log);

        _read = 5;
        Assert.False(store.SaveNow());
        Assert.True(log.Logged("StateSaveFailed"));
        Assert.True(store.IsDirty, "a failed save is tried again");

        fail = false;
        _read = 6;
        Assert.True(store.SaveIfDirty());
        Assert.Equal(6ul, onDisk);
        Assert.False(store.IsDirty);
    }

    [Fact]
    public void A_released_store_never_writes_again()
    {
        var writes = 0;
        var store = Store(_ => writes++);
        Assert.True(store.SaveNow());

        store.Release();

        Assert.False(store.SaveNow());
        Assert.False(store.WhileOwner(() => true));
        Assert.Equal(1, writes);
    }

    [Fact]
    public void A_store_that_keeps_nothing_never_writes()
    {
        var store = new ClientStateStore(_dispatch, () => throw new InvalidOperationException("no snapshot"), null, "state.json", null, new RecordingLogger());

        Assert.True(store.SaveNow());
    }
}
