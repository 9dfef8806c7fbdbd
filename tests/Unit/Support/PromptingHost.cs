using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace OpenChat.Tests.Unit.Support;

/// <summary>A PowerShell host for tests where someone sits at the keyboard: a hidden read
/// returns the answers given (each once), and what was written before it is kept, to see the prompt.</summary>
public sealed class PromptingHost(params string[] answers) : PSHost
{
    private readonly Ui _ui = new(new Queue<string>(answers));

    public override string Name => "OpenChatTestHost";

    public override Version Version => new(1, 0);

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override PSHostUserInterface UI => _ui;

    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;

    /// <summary>What was written to the host, in order.</summary>
    public string Written => _ui.Written.ToString();

    /// <summary>How many hidden reads were made.</summary>
    public int HiddenReads => _ui.HiddenReads;

    public override void SetShouldExit(int exitCode)
    {
    }

    public override void EnterNestedPrompt() => throw new NotSupportedException();

    public override void ExitNestedPrompt() => throw new NotSupportedException();

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    private sealed class Ui(Queue<string> answers) : PSHostUserInterface
    {
        public System.Text.StringBuilder Written { get; } = new();

        public int HiddenReads { get; private set; }

        public override PSHostRawUserInterface RawUI => null!;

        public override SecureString ReadLineAsSecureString()
        {
            HiddenReads++;
            var secure = new SecureString();
            foreach (var c in answers.Dequeue())
            {
                secure.AppendChar(c);
            }

            secure.MakeReadOnly();
            return secure;
        }

        public override string ReadLine() => throw new InvalidOperationException("Only hidden reads are expected.");

        public override void Write(string value) => Written.Append(value);

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Written.Append(value);

        public override void WriteLine(string value) => Written.AppendLine(value);

        public override void WriteErrorLine(string value) => Written.AppendLine(value);

        public override void WriteDebugLine(string message)
        {
        }

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
        }

        public override void WriteVerboseLine(string message)
        {
        }

        public override void WriteWarningLine(string message) => Written.AppendLine(message);

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) =>
            throw new InvalidOperationException("Prompt is not expected.");

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            throw new InvalidOperationException("PromptForCredential is not expected.");

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
            PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            throw new InvalidOperationException("PromptForCredential is not expected.");

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) =>
            throw new InvalidOperationException("PromptForChoice is not expected.");
    }
}
