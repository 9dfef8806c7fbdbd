using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OpenChat.Tests.Unit.Support;

/// <summary>A logger factory that keeps every event id logged through it, with its message.</summary>
public sealed class RecordingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(int EventId, string Message)> Events { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Recorder(RecordingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Events.Enqueue((eventId.Id, exception is null ? formatter(state, exception) : $"{formatter(state, exception)} [{exception.GetType().Name}: {exception.Message} {exception.InnerException?.Message}]"));
    }
}
