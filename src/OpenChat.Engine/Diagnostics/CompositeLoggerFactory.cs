using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Diagnostics;

/// <summary>
/// An <see cref="ILoggerFactory"/> without the Microsoft.Extensions.Logging package: each logger it
/// creates passes an event to the logger of every provider (added before or after). Disposing it
/// disposes the providers (closing a log file) and silences its loggers; a component that logs
/// after that logs nothing, and never fails for it.
/// </summary>
public sealed class CompositeLoggerFactory : ILoggerFactory
{
    private readonly Lock _gate = new();
    private readonly List<ILoggerProvider> _providers = [];
    private readonly Dictionary<string, CompositeLogger> _loggers = new(StringComparer.Ordinal);
    private bool _disposed;

    public CompositeLoggerFactory(params IEnumerable<ILoggerProvider> providers)
    {
        _providers.AddRange(providers);
    }

    public ILogger CreateLogger(string categoryName)
    {
        lock (_gate)
        {
            if (!_loggers.TryGetValue(categoryName, out var logger))
            {
                logger = new CompositeLogger(_disposed ? [] : [.. _providers.Select(p => p.CreateLogger(categoryName))]);
                _loggers[categoryName] = logger;
            }

            return logger;
        }
    }

    public void AddProvider(ILoggerProvider provider)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _providers.Add(provider);
            foreach (var (category, logger) in _loggers)
            {
                logger.Add(provider.CreateLogger(category));
            }
        }
    }

    public void Dispose()
    {
        List<ILoggerProvider> providers;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var logger in _loggers.Values)
            {
                logger.Silence();
            }

            providers = [.. _providers];
            _providers.Clear();
        }

        foreach (var provider in providers)
        {
            try
            {
                provider.Dispose();
            }
            catch (Exception)
            {
                // One provider's failure must not keep the others open; it is counted.
                EngineLog.FailureCounter.Add(1, new KeyValuePair<string, object?>("where", "log.dispose"));
            }
        }
    }

    private sealed class CompositeLogger(ILogger[] loggers) : ILogger
    {
        private volatile ILogger[] _loggers = loggers;

        public void Add(ILogger logger) => _loggers = [.. _loggers, logger];

        public void Silence() => _loggers = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel)
        {
            foreach (var logger in _loggers)
            {
                if (logger.IsEnabled(logLevel))
                {
                    return true;
                }
            }

            return false;
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            foreach (var logger in _loggers)
            {
                try
                {
                    if (logger.IsEnabled(logLevel))
                    {
                        logger.Log(logLevel, eventId, state, exception, formatter);
                    }
                }
                catch (Exception)
                {
                    // A provider that throws must not reach the code that logs; it is counted.
                    EngineLog.FailureCounter.Add(1, new KeyValuePair<string, object?>("where", "log.provider"));
                }
            }
        }
    }
}
