using Microsoft.Extensions.Logging;

namespace OpenChat.Tests.Unit.Pki;

/// <summary>An <see cref="ILogger"/> that keeps every event (id, name and formatted text) for a test to read.</summary>
public sealed class PkiLogRecorder : ILogger
{
    private readonly List<(EventId Id, string Text)> _events = [];

    public IReadOnlyList<(EventId Id, string Text)> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_events)
        {
            _events.Add((eventId, formatter(state, exception)));
        }
    }

    public IReadOnlyList<string> Named(string eventName) => Events.Where(e => e.Id.Name == eventName).Select(e => e.Text).ToList();
}
