using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Client;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Client;

/// <summary>The session logs what it refuses through the options' logger factory, with its own
/// event ids, and never the text of a message.</summary>
public class SecureLogTests
{
    [Fact]
    public async Task A_refused_event_is_logged_with_its_room_and_kind_but_not_its_content()
    {
        await using var h = await ChatHarness.StartAsync();
        var logs = new CapturingLoggers();
        await using var alice = await SecureSession.ConnectAsync(await h.EnrollAsync("alice"), ReadOnlyMemory<char>.Empty,
            new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), LoggerFactory = logs });
        await alice.CreateRoomAsync("ops");
        await using var mallory = await h.UserAsync("mallory");
        await mallory.JoinAsync("ops", 1, CancellationToken.None);
        await mallory.PublishAsync("ops", "secret words"u8.ToArray(), EventKind.Chat, alice.GroupEpoch("ops"), null, CancellationToken.None);

        await Eventually.TrueAsync(() => logs.Lines.Any(l => l.Id == 2500), "the refusal to be logged");
        var line = logs.Lines.First(l => l.Id == 2500);
        Assert.Contains("ops", line.Text);
        Assert.Contains("Chat", line.Text);
        Assert.DoesNotContain(logs.Lines, l => l.Text.Contains("secret words", StringComparison.Ordinal));
    }

    private sealed class CapturingLoggers : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<(int Id, LogLevel Level, string Text)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
    }
}
