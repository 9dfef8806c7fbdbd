using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Client;

/// <summary>
/// Asks for the password of an identity whose private key is encrypted, with a hidden prompt,
/// when -Password was not given and someone is there to type it. Where nobody can (no
/// interactive host, pwsh -NonInteractive, input from a pipe) nothing is asked, and connecting
/// fails as it does without a password: ProfilePasswordWrong, saying to give -Password.
/// </summary>
internal static class ProfilePasswordPrompt
{
    /// <summary>The password typed, or null when none was asked (see <paramref name="notAsked"/> for why, when it could not be).</summary>
    public static SecureString? Ask(PSHost? host, ChatProfile profile, out string? notAsked)
    {
        notAsked = null;
        if (!profile.KeyEncrypted)
        {
            return null;
        }

        notAsked = WhyNoPrompt(host);
        if (notAsked is not null)
        {
            return null;
        }

        try
        {
            host!.UI.Write($"Password for {profile.Name} ({profile.UserName}@{profile.Server}): ");
            return host.UI.ReadLineAsSecureString();
        }
        catch (Exception e) when (e is PSInvalidOperationException or HostException)
        {
            // The host cannot read: pwsh's console host under -NonInteractive and the default host
            // of a runspace say so only when asked, with one of these two.
            notAsked = $"the host cannot prompt ({e.GetType().Name})";
            return null;
        }
    }

    private static string? WhyNoPrompt(PSHost? host)
    {
        if (!Environment.UserInteractive)
        {
            return "the process is not interactive";
        }

        if (host?.UI is null)
        {
            return "the host has no user interface";
        }

        if (host.Name == "ConsoleHost" && (Console.IsInputRedirected || StartedNonInteractive(Environment.GetCommandLineArgs())))
        {
            return "PowerShell runs non-interactively (-NonInteractive, or input from a pipe)";
        }

        return null;
    }

    /// <summary>True when pwsh's own arguments (before the command or file it runs) include
    /// -NonInteractive, in any abbreviation pwsh accepts (down to -noni).</summary>
    internal static bool StartedNonInteractive(IReadOnlyList<string> arguments)
    {
        foreach (var argument in arguments.Skip(1))
        {
            if (argument.Length < 2 || argument[0] is not ('-' or '/'))
            {
                continue;
            }

            var name = argument.TrimStart('-', '/').ToLowerInvariant();
            if (name.StartsWith("noni", StringComparison.Ordinal) && "noninteractive".StartsWith(name, StringComparison.Ordinal))
            {
                return true;
            }

            if (name is "c" or "f" or "e" or "ec" or "encodedcommand" || "command".StartsWith(name, StringComparison.Ordinal) || "file".StartsWith(name, StringComparison.Ordinal))
            {
                return false; // what follows is the script's, not pwsh's
            }
        }

        return false;
    }
}
