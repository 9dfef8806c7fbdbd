using System.Management.Automation;
using OpenChat.Engine;

namespace OpenChat.Cmdlets.Files;

/// <summary>Fetches the file a message carries, verifies it and writes it into a directory
/// under its sanitised name.</summary>
[Cmdlet(VerbsData.Save, "ChatFile", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class SaveChatFileCommand : Client.SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public ChatMessage? Message { get; set; }

    /// <summary>The directory to write into (the current one by default); it must exist.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = ".";

    /// <summary>Replace a file of the same name instead of saving under a numbered name.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var message = Message!;
        if (message.Attachment is not { } attachment)
        {
            // Receive-ChatMessage | Save-ChatFile saves what the messages carry; text carries nothing.
            WriteVerbose($"Message {message.Sequence} in {Engine.TerminalText.Neutralise(message.Room)} carries no file; skipped.");
            return;
        }

        var session = ResolveSession();
        var destination = ResolvePath(Destination);
        try
        {
            if (!Directory.Exists(destination))
            {
                throw new OpenChatException(ErrorIds.FileNotFound, ErrorKind.NotFound, $"The destination '{destination}' is not a directory; create it first.");
            }

            if (!ShouldProcess(destination, $"Save '{attachment}' from {Engine.TerminalText.Neutralise(message.Sender)}"))
            {
                return;
            }

            var progress = new TransferProgress(4, $"Saving {attachment}", attachment.Size);
            var path = progress.Await(this, session.Secure.SaveFileAsync(message.Source, destination, Force, progress, CancelToken));
            WriteObject(new FileInfo(path));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, attachment.Name);
        }
    }
}
