using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Diagnostics;

/// <summary>
/// Writes every log event at or above <see cref="MinimumLevel"/> to a file as one JSON object per
/// line (JSON Lines), appended and flushed line by line, so a crash loses at most the event being
/// written and a log pipeline can tail the file. Safe from any thread: each line is written whole.
/// Logging never throws into the code that logs: a line that cannot be made or written is
/// dropped and counted (<see cref="DroppedEvents"/> and <see cref="EngineLog.FailureCounter"/>).
/// </summary>
public sealed class JsonLinesLoggerProvider : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly Stream _file;
    private readonly bool _ownsStream = true;
    private long _dropped;
    private bool _disposed;

    /// <summary>Opens (or creates, with its folder) <paramref name="path"/> for appending. Other
    /// processes may read the file, and rotate it away, while it is written.</summary>
    public JsonLinesLoggerProvider(string path, LogLevel minimumLevel = LogLevel.Information, TimeProvider? time = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        MinimumLevel = minimumLevel;
        Time = time ?? TimeProvider.System;
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        // Owner-only, like everything else the server writes: the lines name users, addresses
        // and serials.
        _file = Storage.SecureFile.Open(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
    }

    /// <summary>Writes to standard output instead of a file (<c>-LogPath -</c>): under systemd
    /// that is the journal, and a container's log collector reads it there.</summary>
    public JsonLinesLoggerProvider(Stream destination, LogLevel minimumLevel = LogLevel.Information, TimeProvider? time = null)
    {
        Path = StandardOutput;
        MinimumLevel = minimumLevel;
        Time = time ?? TimeProvider.System;
        _file = destination;
        // Standard output belongs to the process: closing the log must not close it.
        _ownsStream = false;
    }

    /// <summary>The <see cref="Path"/> of a log written to standard output.</summary>
    public const string StandardOutput = "-";

    /// <summary>The log file's full path, or <see cref="StandardOutput"/>.</summary>
    public string Path { get; }

    public LogLevel MinimumLevel { get; }

    /// <summary>Events that could not be written (a full disk, a formatter that threw, a write
    /// after <see cref="Dispose"/>).</summary>
    public long DroppedEvents => Interlocked.Read(ref _dropped);

    internal TimeProvider Time { get; }

    public ILogger CreateLogger(string categoryName) => new JsonLinesLogger(categoryName, this);

    internal bool IsEnabled(LogLevel level) => level != LogLevel.None && level >= MinimumLevel;

    /// <summary>Appends one finished line (its newline included) and flushes it to the file.</summary>
    internal void Append(ReadOnlySpan<byte> line)
    {
        try
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    Dropped();
                    return;
                }

                _file.Write(line);
                _file.Flush();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException or NotSupportedException)
        {
            // The log must not take down what it watches; the count says that lines are missing.
            Dropped();
        }
    }

    /// <summary>Counts an event that was lost.</summary>
    internal void Dropped()
    {
        Interlocked.Increment(ref _dropped);
        EngineLog.FailureCounter.Add(1, new KeyValuePair<string, object?>("where", "log.json"));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                if (_ownsStream)
                {
                    _file.Dispose();
                }
            }
            catch (IOException)
            {
                // Nothing is buffered here (each line was flushed), so closing loses no line;
                // the failure is still counted, since it says the file is in trouble.
                Dropped();
            }
        }
    }
}
