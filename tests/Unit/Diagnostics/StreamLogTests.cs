using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;

namespace OpenChat.Tests.Unit.Diagnostics;

/// <summary>The JSON-lines log written to a stream it does not own (standard output, -LogPath -).</summary>
public class StreamLogTests
{
    [Fact]
    public void Lines_go_to_the_stream_and_closing_the_log_leaves_the_stream_open()
    {
        using var output = new MemoryStream();
        var provider = new JsonLinesLoggerProvider(output, LogLevel.Information);
        Assert.Equal(JsonLinesLoggerProvider.StandardOutput, provider.Path);
        provider.CreateLogger("test").LogWarning(new EventId(1520, "Probe"), "to {Where}", "stdout");
        provider.CreateLogger("test").LogDebug("below the level");
        provider.Dispose();

        Assert.True(output.CanWrite, "the log closed a stream it does not own");
        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        var root = JsonDocument.Parse(line).RootElement;
        Assert.Equal("Probe", root.GetProperty("event").GetString());
        Assert.Equal("stdout", root.GetProperty("Where").GetString());
    }
}
