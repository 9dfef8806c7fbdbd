using Microsoft.Extensions.Logging;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Group;

/// <summary>A refused or unreadable event leaves a log line (5000s) naming the room, the event
/// and the check, and nothing of what the message said.</summary>
public class GroupLogTests
{
    [Fact]
    public void A_refused_message_is_logged_with_its_reason_and_without_its_text()
    {
        var (h, alice, _) = GroupHarness.TwoMembers();
        using (h)
        {
            var log = new CapturingLogger();
            var watcher = Watcher(h, log);
            var sent = alice.Send("the secret plan");
            var forged = Envelope.Parse(sent.Body) with { Generation = 7 };
            var outcome = watcher.Process(sent with { Body = forged.ToBytes() });

            Assert.Equal(RejectReason.BadSignature, outcome.Code);
            var line = Assert.Single(log.Lines, l => l.Id == 5000);
            Assert.Contains(nameof(RejectReason.BadSignature), line.Text);
            Assert.Contains(h.Room, line.Text);
            Assert.DoesNotContain(log.Lines, l => l.Text.Contains("secret plan", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void An_unreadable_event_is_logged_and_refused_as_malformed()
    {
        var (h, alice, _) = GroupHarness.TwoMembers();
        using (h)
        {
            var log = new CapturingLogger();
            var watcher = Watcher(h, log);
            var junk = h.Store(alice, EventKind.Commit, [1, 2, 3], alice.State.ServerEpoch);
            var outcome = watcher.Process(junk);

            Assert.Equal(RejectReason.Malformed, outcome.Code);
            Assert.Contains(log.Lines, l => l.Id == 5001 && l.Level == LogLevel.Debug);
        }
    }

    // A device that follows the room from its start, with its own log.
    private static GroupState Watcher(GroupHarness h, ILogger log)
    {
        var device = h.Add("watcher");
        var state = new GroupState(h.Room, device.Identity, device.Verifier, h.Time, log);
        foreach (var e in h.Log)
        {
            state.Process(e);
        }

        return state;
    }

    private sealed class CapturingLogger : ILogger
    {
        public List<(int Id, LogLevel Level, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((eventId.Id, logLevel, formatter(state, exception)));
    }
}
