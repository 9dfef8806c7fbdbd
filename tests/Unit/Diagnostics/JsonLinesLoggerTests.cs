using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Diagnostics;

/// <summary>The JSON lines log: one whole, parseable object per event, whatever the text in it.</summary>
public class JsonLinesLoggerTests
{
    private static readonly Action<ILogger, string, int, Exception?> Sample =
        LoggerMessage.Define<string, int>(LogLevel.Warning, new EventId(1234, "SampleEvent"), "User {UserName} sent {Count} frames");

    private static readonly DateTimeOffset Noon = new(2026, 5, 4, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The file's lines, read while the writer may still hold it open.</summary>
    internal static string[] ReadLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void An_event_is_one_line_with_timestamp_level_id_name_category_message_and_fields()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("logs", "server.jsonl");
        using (var provider = new JsonLinesLoggerProvider(path, LogLevel.Information, new ManualTime(Noon)))
        {
            Sample(provider.CreateLogger("OpenChat.Test"), "alice", 3, null);
        }

        var line = Assert.Single(ReadLines(path));
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("2026-05-04T12:00:00Z", root.GetProperty("timestamp").GetString());
        Assert.Equal("Warning", root.GetProperty("level").GetString());
        Assert.Equal(1234, root.GetProperty("eventId").GetInt32());
        Assert.Equal("SampleEvent", root.GetProperty("event").GetString());
        Assert.Equal("OpenChat.Test", root.GetProperty("category").GetString());
        Assert.Equal("User alice sent 3 frames", root.GetProperty("message").GetString());
        Assert.Equal("alice", root.GetProperty("UserName").GetString());
        Assert.Equal(3, root.GetProperty("Count").GetInt32());
        Assert.False(root.TryGetProperty("{OriginalFormat}", out _));
        Assert.False(root.TryGetProperty("exception", out _));
    }

    [Fact]
    public void A_hostile_user_name_is_escaped_and_cannot_break_the_line()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("server.jsonl");
        const string hostile = "ev\"il\",\"level\":\"None\"}\n{\"forged\":1}\r\u001b[31mred\u0007\ud800";
        using (var provider = new JsonLinesLoggerProvider(path))
        {
            Sample(provider.CreateLogger("OpenChat.Test"), hostile, 1, null);
        }

        var bytes = File.ReadAllBytes(path);
        Assert.DoesNotContain((byte)0x1B, bytes);
        Assert.DoesNotContain((byte)0x07, bytes);
        Assert.DoesNotContain((byte)'\r', bytes);
        var line = Assert.Single(ReadLines(path));
        using var json = JsonDocument.Parse(line);
        Assert.Equal("Warning", json.RootElement.GetProperty("level").GetString());
        Assert.False(json.RootElement.TryGetProperty("forged", out _));
        // Everything arrives intact except the lone surrogate, which JSON cannot carry.
        Assert.Equal(hostile[..^1] + "\uFFFD", json.RootElement.GetProperty("UserName").GetString());
    }

    [Fact]
    public void An_exception_is_written_as_its_type_and_message()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("server.jsonl");
        using (var provider = new JsonLinesLoggerProvider(path))
        {
            Sample(provider.CreateLogger("OpenChat.Test"), "bob", 0, new IOException("disk \"gone\""));
        }

        using var json = JsonDocument.Parse(Assert.Single(ReadLines(path)));
        var exception = json.RootElement.GetProperty("exception");
        Assert.Equal("System.IO.IOException", exception.GetProperty("type").GetString());
        Assert.Equal("disk \"gone\"", exception.GetProperty("message").GetString());
    }

    [Fact]
    public void Events_below_the_minimum_level_are_not_written()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("server.jsonl");
        using (var provider = new JsonLinesLoggerProvider(path, LogLevel.Error))
        {
            var log = provider.CreateLogger("OpenChat.Test");
            Assert.False(log.IsEnabled(LogLevel.Warning));
            Sample(log, "carol", 1, null);
            log.LogError("an error");
        }

        Assert.Equal("an error", JsonDocument.Parse(Assert.Single(ReadLines(path))).RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Concurrent_writers_keep_every_line_whole()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("server.jsonl");
        const int writers = 8, each = 300;
        using (var provider = new JsonLinesLoggerProvider(path))
        {
            var log = provider.CreateLogger("OpenChat.Test");
            var padding = new string('x', 2000);
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() =>
            {
                for (var i = 0; i < each; i++)
                {
                    Sample(log, $"writer{w}-{padding}", i, null);
                }
            })));
        }

        var lines = ReadLines(path);
        Assert.Equal(writers * each, lines.Length);
        var seen = new HashSet<(string, int)>();
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            Assert.True(seen.Add((json.RootElement.GetProperty("UserName").GetString()!, json.RootElement.GetProperty("Count").GetInt32())));
        }
    }

    [Fact]
    public void The_log_file_is_made_readable_by_its_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var temp = new TempDirectory();
        var path = temp.Combine("server.jsonl");
        using (var provider = new JsonLinesLoggerProvider(path))
        {
            Sample(provider.CreateLogger("OpenChat.Test"), "alice", 1, null);
        }

        // Lines name users, addresses and serials: no other local user may read them.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void A_second_provider_appends_to_the_same_file()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("server.jsonl");
        for (var run = 0; run < 2; run++)
        {
            using var provider = new JsonLinesLoggerProvider(path);
            Sample(provider.CreateLogger("OpenChat.Test"), "run" + run, run, null);
        }

        Assert.Equal(2, ReadLines(path).Length);
    }

    [Fact]
    public void Logging_after_dispose_is_dropped_and_counted_without_throwing()
    {
        using var temp = new TempDirectory();
        var provider = new JsonLinesLoggerProvider(temp.Combine("server.jsonl"));
        var log = provider.CreateLogger("OpenChat.Test");
        provider.Dispose();
        Sample(log, "dave", 1, null);
        Assert.Equal(1, provider.DroppedEvents);
    }

    [Fact]
    public void A_formatter_that_throws_is_dropped_and_counted_without_throwing()
    {
        using var temp = new TempDirectory();
        using var provider = new JsonLinesLoggerProvider(temp.Combine("server.jsonl"));
        provider.CreateLogger("OpenChat.Test").Log<object?>(LogLevel.Error, new EventId(1), null, null, (_, _) => throw new InvalidOperationException("bad formatter"));
        Assert.Equal(1, provider.DroppedEvents);
    }
}
