using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;

namespace OpenChat.Cmdlets.Completion;

/// <summary>Shared shape of the completers: candidates filtered by what was typed, quoted when needed.</summary>
public abstract class ChatCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = wordToComplete.Trim('\'', '"');
        IEnumerable<string> candidates;
        try
        {
            candidates = Candidates(fakeBoundParameters);
        }
        catch (Exception)
        {
            // Completion must never throw into the user's prompt.
            yield break;
        }

        foreach (var candidate in candidates.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
        {
            // A name with control characters is no valid room or user name, only something a
            // lying server could send: never put it into the user's command line.
            if (candidate.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && Engine.TerminalText.IsSafe(candidate))
            {
                // '@' matters only first (splatting); the others anywhere.
                var text = candidate.StartsWith('@') || candidate.IndexOfAny([' ', '$', '\'', '`', ';', '(', ')', '{', '}', '|', '&', ',']) >= 0
                    ? $"'{candidate}'"
                    : candidate;
                yield return new CompletionResult(text, candidate, CompletionResultType.ParameterValue, candidate);
            }
        }
    }

    protected abstract IEnumerable<string> Candidates(IDictionary bound);

    protected static ChatSession? SessionOf(IDictionary bound) =>
        bound["Session"] as ChatSession ?? (bound["Session"] as PSObject)?.BaseObject as ChatSession ?? SessionRegistry.Default();
}

/// <summary>Rooms the session has joined (and, when it is cheap, the rooms it was told about).</summary>
public sealed class RoomCompleter : ChatCompleter
{
    protected override IEnumerable<string> Candidates(IDictionary bound) => SessionOf(bound)?.Rooms ?? [];
}

/// <summary>People: contacts the session has seen, or, with -Path, users of that CA.</summary>
public sealed class UserCompleter : ChatCompleter
{
    protected override IEnumerable<string> Candidates(IDictionary bound)
    {
        if (bound["Path"] is string path && new CaDirectory(Path.GetFullPath(path)) is { HasCa: true } directory)
        {
            return directory.Store.FindCertificates(CertificateKind.Client).Select(r => r.Name);
        }

        return SessionOf(bound)?.Secure.Contacts().Select(c => c.UserName) ?? [];
    }
}

/// <summary>Enrolled identities in the profile folder.</summary>
public sealed class IdentityCompleter : ChatCompleter
{
    protected override IEnumerable<string> Candidates(IDictionary bound) =>
        ChatProfile.List(bound["ProfilePath"] as string).Select(p => p.Name);
}

/// <summary>Servers: those the enrolled identities use, and those running in this session.</summary>
public sealed class ServerCompleter : ChatCompleter
{
    protected override IEnumerable<string> Candidates(IDictionary bound) =>
        ChatProfile.List(bound["ProfilePath"] as string).Select(p => p.Server)
            .Concat(ServerRegistry.All().Select(s => ServerNames.FormatAddress("localhost", s.Port)));
}
