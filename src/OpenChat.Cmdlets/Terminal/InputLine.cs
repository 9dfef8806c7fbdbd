using System.Text;
using OpenChat.Engine.Protocol;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>The line being typed at the bottom of the chat screen: keys edit it, Enter hands it
/// over. It holds text as typed; the screen neutralises it when drawing.</summary>
internal sealed class InputLine
{
    // Room for a line over the message limit, so that it is refused with a notice rather than cut.
    public const int MaxLength = FrameLimits.MaxTextBytes + 1;

    private readonly StringBuilder _text = new();

    public string Text => _text.ToString();

    /// <summary>Applies one key: the completed line (trimmed, perhaps empty) when it was Enter,
    /// otherwise null. Backspace takes the last character, Esc clears the line, other control
    /// keys are ignored.</summary>
    public string? Apply(ConsoleKeyInfo key)
    {
        switch (key.Key)
        {
            case ConsoleKey.Enter:
                var line = _text.ToString().Trim();
                _text.Clear();
                return line;
            case ConsoleKey.Backspace:
                if (_text.Length > 0)
                {
                    _text.Length--;
                }

                break;
            case ConsoleKey.Escape:
                _text.Clear();
                break;
            default:
                if (!char.IsControl(key.KeyChar) && _text.Length < MaxLength)
                {
                    _text.Append(key.KeyChar);
                }

                break;
        }

        return null;
    }

    /// <summary>Puts a line back to be edited (one the server would refuse as too long).</summary>
    public void Set(string text) => _text.Clear().Append(text);

    /// <summary>What fits in <paramref name="columns"/> characters: the end of the line, where the typing is.</summary>
    public string Tail(int columns) => _text.Length > columns ? _text.ToString(_text.Length - columns, columns) : _text.ToString();
}
