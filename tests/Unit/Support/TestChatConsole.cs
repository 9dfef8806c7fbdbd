using System.Collections.Concurrent;
using System.Text;
using OpenChat.Cmdlets.Terminal;

namespace OpenChat.Tests.Unit.Support;

/// <summary>
/// A console for the chat screen in tests (as PSReadLine's MockConsole): keys are scripted in,
/// what the chat writes is kept as it was written (<see cref="Output"/>) and as a terminal would
/// show it (a <see cref="VtScreen"/>). The chat runs on a thread of its own; tests wait for what
/// they expect with <see cref="WaitForAsync"/>, which wakes on every write, up to a deadline.
/// </summary>
internal sealed class TestChatConsole(int width = 110, int height = 24) : IChatConsole
{
    private readonly object _gate = new();
    private readonly ConcurrentQueue<ConsoleKeyInfo> _keys = new();
    private readonly StringBuilder _output = new();
    private readonly VtScreen _screen = new(width, height);

    public int WindowWidth
    {
        get
        {
            lock (_gate)
            {
                return _screen.Width;
            }
        }
    }

    public int WindowHeight
    {
        get
        {
            lock (_gate)
            {
                return _screen.Height;
            }
        }
    }

    public bool KeyAvailable => !_keys.IsEmpty;

    public ConsoleKeyInfo ReadKey() =>
        _keys.TryDequeue(out var key) ? key : throw new InvalidOperationException("ReadKey with no key waiting: the chat asks KeyAvailable first, so it never blocks.");

    public void Write(string text)
    {
        lock (_gate)
        {
            _output.Append(text);
            _screen.Feed(text);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Every character of <paramref name="text"/> as a key press.</summary>
    public void Type(string text)
    {
        foreach (var c in text)
        {
            var key = char.IsAsciiLetterOrDigit(c) || c == ' ' ? (ConsoleKey)char.ToUpperInvariant(c) : default;
            _keys.Enqueue(new ConsoleKeyInfo(c, key, char.IsAsciiLetterUpper(c), false, false));
        }
    }

    public void Press(ConsoleKey key, char keyChar = '\0') => _keys.Enqueue(new ConsoleKeyInfo(keyChar, key, false, false, false));

    /// <summary>Types a line and presses Enter.</summary>
    public void Enter(string line)
    {
        Type(line);
        Press(ConsoleKey.Enter, '\r');
    }

    /// <summary>The window changes size; the chat sees it on its next tick.</summary>
    public void Resize(int newWidth, int newHeight)
    {
        lock (_gate)
        {
            _screen.Resize(newWidth, newHeight);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Everything written so far, escape sequences and all.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Reads the terminal's state at one moment.</summary>
    public T Read<T>(Func<VtScreen, T> read)
    {
        lock (_gate)
        {
            return read(_screen);
        }
    }

    /// <summary>The screen's text, rows joined by line feeds.</summary>
    public string Screen => Read(s => s.ToString());

    /// <summary>Waits until the screen satisfies <paramref name="condition"/> and returns its text
    /// at that moment; on timeout the exception shows the screen.</summary>
    public Task<string> WaitForAsync(Func<VtScreen, bool> condition, string what, int timeoutMs = 20_000) => Task.Run(() =>
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        lock (_gate)
        {
            while (!condition(_screen))
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    throw new TimeoutException($"Timed out waiting for {what}. The screen shows:\n{_screen}");
                }

                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(left));
            }

            return _screen.ToString();
        }
    });

    /// <summary>Waits until the screen's text matches <paramref name="pattern"/> (multi-line: ^ and $ are a row's ends).</summary>
    public Task<string> WaitForTextAsync(string pattern, int timeoutMs = 20_000)
    {
        var regex = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.Multiline);
        return WaitForAsync(s => regex.IsMatch(s.ToString()), $"/{pattern}/", timeoutMs);
    }
}
