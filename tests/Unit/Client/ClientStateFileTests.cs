using System.Text;
using System.Text.Json;
using OpenChat.Engine.Client;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>The client's state file keeps its format: a profile saved by an earlier version
/// still loads, and what is written now reads the same way.</summary>
public class ClientStateFileTests
{
    private static string TodaysStateFile(Guid waiting) => $$"""
        {
          "LastRead": {
            "ops": 2
          },
          "Outbox": [
            {
              "Room": "ops",
              "MessageId": "{{waiting}}",
              "Kind": 1,
              "Epoch": 0,
              "Body": "{{Convert.ToBase64String("still queued"u8)}}"
            }
          ]
        }
        """;

    [Fact]
    public async Task A_state_file_in_todays_format_resumes_after_the_last_read_event_and_resends_its_outbox()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        await using (var first = await h.ConnectAsync(profile))
        {
            await first.CreateRoomAsync("ops");
            for (var i = 1; i <= 3; i++)
            {
                await first.PublishAsync("ops", Encoding.UTF8.GetBytes($"m{i}"));
            }
        }

        var waiting = Guid.CreateVersion7();
        File.WriteAllText(Path.Combine(profile.Path, ChatProfile.StateFile), TodaysStateFile(waiting));
        var loaded = profile.LoadState();
        Assert.Equal(2ul, loaded.LastRead["ops"]);
        Assert.Equal(waiting, Assert.Single(loaded.Outbox).MessageId);

        await using var again = await h.ConnectAsync(profile);
        Assert.Equal(1, again.PendingOutgoing);
        await again.JoinAsync("ops");

        var third = await Eventually.NextAsync(again);
        Assert.Equal(3ul, third.Sequence);
        var resent = await Eventually.NextAsync(again);
        Assert.Equal(waiting, resent.MessageId);
        Assert.Equal("still queued", Encoding.UTF8.GetString(resent.Body));
        Assert.Equal(EventKind.Chat, resent.Kind);
    }

    [Fact]
    public async Task What_the_client_saves_has_the_shape_of_todays_state_file()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        await using (var client = await h.ConnectAsync(profile))
        {
            await client.CreateRoomAsync("ops");
            await client.PublishAsync("ops", "m1"u8.ToArray());
            Assert.Equal(1ul, (await Eventually.NextAsync(client)).Sequence);
        }

        using var saved = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(profile.Path, ChatProfile.StateFile)));
        Assert.Equal(1ul, saved.RootElement.GetProperty("LastRead").GetProperty("ops").GetUInt64());
        Assert.Equal(0, saved.RootElement.GetProperty("Outbox").GetArrayLength());
    }
}
