using Microsoft.Extensions.Logging;
using OpenChat.Cmdlets.Diagnostics;
using OpenChat.Engine.Diagnostics;

namespace OpenChat.Tests.Unit.Cmdlets;

public class DeferredLoggerTests
{
    [Fact]
    public void A_handled_failure_is_kept_as_a_warning_with_its_exception_neutralised_until_taken()
    {
        var log = new DeferredLogger();
        log.Failed(new InvalidOperationException("server said \u001b[2Jgone"), "terminal.command");

        var kept = Assert.Single(log.Take());
        Assert.Equal(LogLevel.Warning, kept.Level);
        Assert.Equal("BackgroundFailure: terminal.command failed with InvalidOperationException: server said ␛[2Jgone", kept.Text);
        Assert.Empty(log.Take()); // taken once
    }

    [Fact]
    public void Past_a_thousand_lines_the_first_ones_are_kept()
    {
        var log = new DeferredLogger();
        for (var i = 0; i < 1500; i++)
        {
            log.LogDebug("line {Number}", i);
        }

        var kept = log.Take().ToList();
        Assert.Equal(1000, kept.Count);
        Assert.EndsWith("line 999", kept[^1].Text);
    }
}
