using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Cmdlets;

/// <summary>The engine logs from its own threads; the cmdlets write those lines on the pipeline
/// thread, as Write-Debug (or Write-Verbose for warnings), the next time the session is used.</summary>
public class SessionLogTests
{
    [Fact]
    public async Task What_a_session_logged_is_written_by_the_next_cmdlet_that_uses_it()
    {
        await using var h = await ChatHarness.StartAsync();
        await h.EnrollAsync("alice");
        using var shell = new Shell();
        var connected = shell.Run("Connect-ChatRoom -Identity alice -ProfilePath $args[0] | Out-Null", h.ProfileRoot);
        Assert.Empty(connected.Errors);

        var first = shell.Run("Get-ChatRoom -Debug | Out-Null; 'done'");
        Assert.Empty(first.Errors);
        Assert.Contains(first.Debug, line => line.StartsWith("Connected:", StringComparison.Ordinal) && line.Contains("alice", StringComparison.Ordinal));

        // Taken once: the next cmdlet does not repeat it.
        var second = shell.Run("Get-ChatRoom -Debug | Out-Null; 'done'");
        Assert.DoesNotContain(second.Debug, line => line.StartsWith("Connected:", StringComparison.Ordinal));
        shell.Run("Get-ChatSession | Disconnect-ChatRoom");
    }
}
