using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OpenChat.Engine.Diagnostics;

/// <summary>
/// One category's logger for <see cref="JsonLinesLoggerProvider"/>: an event becomes
/// <c>{"timestamp", "level", "eventId", "event", "category", "message", ...fields, "exception"}</c>
/// on one line. Fields are the structured values of a <see cref="LoggerMessageAttribute"/> event;
/// text from peers (a user name full of quotes, newlines or terminal escapes) is JSON-escaped,
/// so it can neither break a line nor reach a terminal that shows the file.
/// </summary>
internal sealed class JsonLinesLogger(string category, JsonLinesLoggerProvider provider) : ILogger
{
    private const string OriginalFormat = "{OriginalFormat}";

    // A field may not take the name of one of the line's own members; compared without case,
    // because PowerShell's ConvertFrom-Json refuses names that differ only in case.

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "timestamp", "level", "eventId", "event", "category", "message", "exception",
    };

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => provider.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        byte[] line;
        try
        {
            line = Format(logLevel, eventId, state, exception, formatter(state, exception));
        }
        catch (Exception)
        {
            // A formatter or a field's ToString threw: the caller must not see it, the count does.
            provider.Dropped();
            return;
        }

        provider.Append(line);
    }

    private byte[] Format<TState>(LogLevel level, EventId eventId, TState state, Exception? exception, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", provider.Time.GetUtcNow().UtcDateTime);
            json.WriteString("level", level.ToString());
            json.WriteNumber("eventId", eventId.Id);
            if (!string.IsNullOrEmpty(eventId.Name))
            {
                json.WriteString("event", Clean(eventId.Name));
            }

            json.WriteString("category", Clean(category));
            json.WriteString("message", Clean(message));
            if (state is IEnumerable<KeyValuePair<string, object?>> fields)
            {
                foreach (var (name, value) in fields)
                {
                    if (name == OriginalFormat || string.IsNullOrEmpty(name))
                    {
                        continue;
                    }

                    json.WritePropertyName(Clean(Reserved.Contains(name) ? "_" + name : name));
                    WriteValue(json, value);
                }
            }

            if (exception is not null)
            {
                json.WriteStartObject("exception");
                json.WriteString("type", exception.GetType().FullName);
                json.WriteString("message", Clean(exception.Message));
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case string text:
                json.WriteStringValue(Clean(text));
                break;
            case bool flag:
                json.WriteBooleanValue(flag);
                break;
            case byte or sbyte or short or ushort or int or uint or long:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong number:
                json.WriteNumberValue(number);
                break;
            case double or float when double.IsFinite(Convert.ToDouble(value, CultureInfo.InvariantCulture)):
                json.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case decimal number:
                json.WriteNumberValue(number);
                break;
            case DateTimeOffset time:
                json.WriteStringValue(time);
                break;
            case DateTime time:
                json.WriteStringValue(time);
                break;
            case IFormattable formattable:
                json.WriteStringValue(Clean(formattable.ToString(null, CultureInfo.InvariantCulture)));
                break;
            default:
                json.WriteStringValue(Clean(value.ToString() ?? ""));
                break;
        }
    }

    /// <summary>Replaces lone UTF-16 surrogates (which a peer's text may carry and which JSON cannot
    /// encode) with U+FFFD, so that such text costs a character instead of the whole event.</summary>
    private static string Clean(string text)
    {
        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            return text;
        }

        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }
}
