using OpenChat.Cmdlets.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Cmdlets;

/// <summary>Connect-ChatRoom with a password-protected identity and no -Password: a host with
/// someone at the keyboard is asked (hidden), one that cannot prompt gets today's clear error.</summary>
public class PasswordPromptTests
{
    private const string Secret = "correct horse battery staple";

    private static async Task<(ChatHarness Harness, string Root)> EncryptedDoraAsync()
    {
        var harness = await ChatHarness.StartAsync();
        await harness.EnrollAsync("dora", Secret);
        return (harness, harness.ProfileRoot);
    }

    private const string Connect = "$s = Connect-ChatRoom -Identity dora -ProfilePath $args[0] -ErrorAction Stop; $s.State; Disconnect-ChatRoom -Session $s";

    [Fact]
    public async Task An_interactive_host_is_asked_for_the_password_at_a_hidden_prompt_naming_the_identity()
    {
        var (harness, root) = await EncryptedDoraAsync();
        await using (harness)
        {
            var host = new PromptingHost(Secret);
            using var shell = new Shell(host);
            var result = shell.Run(Connect, root);

            Assert.Empty(result.Errors);
            Assert.Equal("Connected", Assert.Single(result.Output).ToString());
            Assert.Equal(1, host.HiddenReads);
            Assert.Matches(@"^Password for dora[^ ]* \(dora@127\.0\.0\.1:\d+\): $", host.Written);
        }
    }

    [Fact]
    public async Task A_wrong_password_typed_at_the_prompt_is_refused_as_a_wrong_Password_is()
    {
        var (harness, root) = await EncryptedDoraAsync();
        await using (harness)
        {
            using var shell = new Shell(new PromptingHost("wrong"));
            var typed = Assert.Single(shell.Run(Connect, root).Errors);
            var given = Assert.Single(shell.Run("Connect-ChatRoom -Identity dora -ProfilePath $args[0] -Password (ConvertTo-SecureString wrong -AsPlainText -Force) -ErrorAction Stop", root).Errors);

            Assert.StartsWith("ProfilePasswordWrong", typed.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Equal(given.FullyQualifiedErrorId, typed.FullyQualifiedErrorId);
            Assert.Equal(given.Exception.Message, typed.Exception.Message);
        }
    }

    [Fact]
    public async Task A_given_Password_is_used_without_asking()
    {
        var (harness, root) = await EncryptedDoraAsync();
        await using (harness)
        {
            var host = new PromptingHost();
            using var shell = new Shell(host);
            var result = shell.Run("$s = Connect-ChatRoom -Identity dora -ProfilePath $args[0] -Password (ConvertTo-SecureString $args[1] -AsPlainText -Force) -ErrorAction Stop; $s.State; Disconnect-ChatRoom -Session $s", root, Secret);

            Assert.Empty(result.Errors);
            Assert.Equal(0, host.HiddenReads);
            Assert.DoesNotContain("Password for", host.Written, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_host_that_cannot_prompt_gets_the_error_that_says_to_give_Password()
    {
        var (harness, root) = await EncryptedDoraAsync();
        await using (harness)
        {
            using var shell = new Shell(); // the default host: no user interface to prompt through
            var result = shell.Run("Connect-ChatRoom -Identity dora -ProfilePath $args[0] -ErrorAction Stop -Debug", root);

            var error = Assert.Single(result.Errors);
            Assert.StartsWith("ProfilePasswordWrong", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains("Supply its password (-Password)", error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains(result.Debug, d => d.Contains("was not asked for", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(new[] { "pwsh", "-NonInteractive", "-Command", "x" }, true)]
    [InlineData(new[] { "pwsh", "-noni", "-c", "x" }, true)]
    [InlineData(new[] { "pwsh", "-NoProfile", "-NonInt", "-File", "a.ps1" }, true)]
    [InlineData(new[] { "pwsh", "-NoProfile", "-Command", "Connect-ChatRoom -NonInteractive" }, false)]
    [InlineData(new[] { "pwsh", "-NoProfile", "-NoLogo" }, false)]
    [InlineData(new[] { "pwsh", "-non" }, false)]
    public void NonInteractive_is_found_among_pwsh_own_arguments_only(string[] arguments, bool expected) =>
        Assert.Equal(expected, ProfilePasswordPrompt.StartedNonInteractive(arguments));
}
