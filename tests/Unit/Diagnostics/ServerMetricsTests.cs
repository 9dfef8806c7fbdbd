using OpenChat.Engine;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Diagnostics;

/// <summary>The server's instruments, heard through a MeterListener while real clients chat
/// through a real server.</summary>
public sealed class ServerMetricsTests
{
    [Fact]
    public async Task A_chat_through_a_real_server_moves_its_connection_message_commit_and_delivery_instruments()
    {
        await using var h = await ChatHarness.StartAsync();
        using var recorder = new MeterRecorder(h.Server.Metrics.Meter);
        var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync(TwoChatting.Room);
        await bob.EnterAsync(TwoChatting.Room);
        for (var i = 0; i < 3; i++)
        {
            await alice.SendAsync(TwoChatting.Room, $"metered {i}");
            await SecureHarness.NextWithTextAsync(bob, $"metered {i}");
        }

        Assert.True(recorder.Sum("openchat_handshakes_total", "outcome=ok") >= 4, "two enrollments and two sessions were greeted");
        Assert.True(recorder.Sum("openchat_messages_received_total") >= 3);
        Assert.True(recorder.Sum("openchat_messages_stored_total") >= 3);
        Assert.True(recorder.Count("openchat_commit_batch_size") >= 1);
        Assert.True(recorder.Sum("openchat_commit_batch_size") >= 3, "every stored publish went through a group commit");
        Assert.True(recorder.Count("openchat_commit_duration_seconds") >= 1);
        Assert.True(recorder.Sum("openchat_commit_duration_seconds") > 0);
        // The log records a commit's fan-out after handing it on, so bob can hold the last
        // message before its fan-out is counted; every earlier commit's is.
        // Commits read first: one that lands between the two reads adds to the commits alone.
        var commits = recorder.Count("openchat_commit_duration_seconds");
        Assert.True(recorder.Count("openchat_commit_fanout_duration_seconds") >= commits - 1);
        Assert.True(recorder.Sum("openchat_commit_fanout_duration_seconds") > 0, "each commit's acks and events were handed on after it");

        recorder.Observe();
        Assert.True(recorder.Last("openchat_connections") >= 2);
        Assert.True(recorder.Last("openchat_events_delivered_total") >= 3, "bob's three messages were handed to his connection");
        Assert.True(recorder.Last("openchat_send_queue_bytes") >= 0);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.Equal(new DateTimeOffset(h.Server.ServerCertificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(),
            recorder.Last("openchat_certificate_expiry_timestamp_seconds", "certificate=server"));
        Assert.True(recorder.Last("openchat_certificate_expiry_timestamp_seconds", "certificate=ca") > now);
        Assert.Equal(0, recorder.Sum("openchat_store_errors_total", "operation=append"));
    }

    [Fact]
    public async Task A_refused_handshake_counts_as_refused_with_its_error_id_as_the_reason()
    {
        await using var h = await ChatHarness.StartAsync();
        using var recorder = new MeterRecorder(h.Server.Metrics.Meter);
        using var identity = (await h.EnrollAsync("alice")).LoadIdentity(ReadOnlySpan<char>.Empty)!;

        await using (var client = await RawClient.ConnectAsync(h.Server.Endpoint.Port, identity, hello: false))
        {
            var future = (ushort)(ChatProtocol.Version + 1);
            await client.SendAsync(new Hello(future, future, "raw").ToFrame());
            using var deadline = new CancellationTokenSource(10_000);
            var answer = await client.Reader.ReadAsync(deadline.Token);
            Assert.Equal(MessageType.Bye, answer?.Type);
        }

        await Eventually.TrueAsync(() => recorder.Sum("openchat_refusals_total", $"reason={ErrorIds.VersionUnsupported}") == 1, "the refusal counted");
        Assert.Equal(1, recorder.Sum("openchat_handshakes_total", "outcome=refused"));
    }

    [Fact]
    public async Task Two_servers_in_one_process_keep_their_figures_apart()
    {
        await using var chatting = await ChatHarness.StartAsync();
        await using var idle = await ChatHarness.StartAsync();
        using var heard = new MeterRecorder(chatting.Server.Metrics.Meter);
        using var quiet = new MeterRecorder(idle.Server.Metrics.Meter);
        var alice = await chatting.SecureAsync(await chatting.EnrollAsync("alice"));
        await alice.CreateRoomAsync(TwoChatting.Room);
        await alice.SendAsync(TwoChatting.Room, "only here");

        await Eventually.TrueAsync(() => heard.Sum("openchat_messages_stored_total") >= 1, "the chatting server's store count");
        Assert.Equal(0, quiet.Sum("openchat_messages_received_total"));
        Assert.Equal(0, quiet.Sum("openchat_handshakes_total", "outcome=ok"));
        quiet.Observe();
        Assert.Equal(0, quiet.Last("openchat_connections"));
    }
}
