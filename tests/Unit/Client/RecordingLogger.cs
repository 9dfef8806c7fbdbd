using Microsoft.Extensions.Logging;

namespace OpenChat.Tests.Unit.Client;

/// <summary>Keeps the events logged to it, to assert that a failure left a trace.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly Lock _gate = new();
    private readonly List<(EventId Id, string Text)> _events = [];

    public IReadOnlyList<(EventId Id, string Text)> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public bool Logged(string eventName) => Events.Any(e => e.Id.Name == eventName);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_gate)
        {
            _events.Add((eventId, formatter(state, exception)));
        }
    }
}

/// <summary>Hands the same <see cref="RecordingLogger"/> to every component.</summary>
internal sealed class RecordingLoggerFactory(RecordingLogger log) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => log;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }
}
