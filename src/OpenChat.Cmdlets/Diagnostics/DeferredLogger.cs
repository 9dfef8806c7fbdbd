using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Diagnostics;

/// <summary>
/// A logger that keeps what it is told until the pipeline thread takes it: the engine logs from
/// its own threads, a cmdlet may write only from the pipeline thread, and while the chat screen
/// runs it owns the terminal (a Write-Verbose line would land in the middle of it). A session's
/// log is written by the next cmdlet that uses the session, Enter-ChatRoom's once the screen is
/// gone (<see cref="ChatCmdlet.WriteDeferred"/>): warnings and worse as Write-Verbose, the rest
/// as Write-Debug.
/// </summary>
internal sealed class DeferredLogger : ILogger
{
    // A long chat could run into many failures; past this many, the first ones tell the story.
    private const int MaxKept = 1000;

    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _kept = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel) || _kept.Count >= MaxKept)
        {
            return;
        }

        var text = formatter(state, exception) + (exception is null ? "" : $": {exception.Message}");
        // An exception's text can quote a server's words: neutralised like anything else shown.
        _kept.Enqueue((logLevel, TerminalText.Neutralise($"{eventId.Name ?? eventId.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {text}")));
    }

    /// <summary>Takes the lines kept so far, oldest first.</summary>
    public IEnumerable<(LogLevel Level, string Text)> Take()
    {
        while (_kept.TryDequeue(out var entry))
        {
            yield return entry;
        }
    }
}

/// <summary>Hands every component of a session the same <see cref="DeferredLogger"/>; the
/// category is dropped (the event's name says where it came from).</summary>
internal sealed class DeferredLoggerFactory(DeferredLogger log) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => log;

    // Where a session's lines go is fixed: to the pipeline of the cmdlet that uses it next.
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("A session's log is written by its cmdlets.");

    public void Dispose()
    {
    }
}
