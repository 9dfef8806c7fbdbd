using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>
/// A logger that keeps what it is told until the pipeline thread takes it: while the chat screen
/// runs it owns the terminal (a Write-Verbose line would land in the middle of it), and a cmdlet
/// may write only from the pipeline thread anyway. Enter-ChatRoom writes the lines kept as
/// Write-Verbose (warnings and worse) or Write-Debug once the screen is gone.
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
