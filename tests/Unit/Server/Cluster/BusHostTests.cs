using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Server.Cluster;

/// <summary>What a node does with what another node reports on the bus (played here through the
/// host the node attached to its bus).</summary>
public sealed class BusHostTests
{
    [Fact]
    public async Task A_revocation_notice_costs_a_store_lookup_only_for_serials_connected_here()
    {
        var bus = new AnnouncingBus();
        var lookups = 0;
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        using var store = new SqliteMessageStore(temp.Combine("messages.db"));
        await using var hub = new RoomHub(store, new ChatServerOptions(), _ => true, () => [], _ =>
        {
            Interlocked.Increment(ref lookups);
            return true;
        }, bus: bus);

        // A notice replayed from the bus, naming a thousand serials nobody here is connected with.
        bus.Host!.Revoked([.. Enumerable.Range(0, 1000).Select(i => i.ToString("X8", System.Globalization.CultureInfo.InvariantCulture))]);

        Assert.Equal(0, lookups);
    }

    [Fact]
    public async Task A_revocation_notice_closes_a_connection_here_only_once_the_store_says_revoked()
    {
        var bus = new AnnouncingBus();
        // The watchdog's own poll would close the connection too: keep it out of the way.
        await using var h = await ChatHarness.StartAsync(o =>
        {
            o.RoomEventBus = bus;
            o.RevocationPollInterval = TimeSpan.FromHours(1);
        });
        var bob = await h.UserAsync("bob");
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.StateChanged += (_, e) =>
        {
            if (e.State == ChatClientState.Closed)
            {
                closed.TrySetResult(e.Reason);
            }
        };
        var serial = bob.Identity.SerialNumber.ToUpperInvariant();

        bus.Host!.Revoked([serial]);
        await bob.CreateRoomAsync("still-here");
        Assert.Equal(ChatClientState.Connected, bob.State);

        new CertificateRegistry(new CaDirectory(h.DataPath)).Revoke(serial);
        bus.Host!.Revoked([serial]);
        Assert.Equal(ErrorIds.CertificateRevoked, await closed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
