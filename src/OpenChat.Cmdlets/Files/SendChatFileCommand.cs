using System.Management.Automation;
using OpenChat.Cmdlets.Completion;
using OpenChat.Engine;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Files;

/// <summary>Encrypts each file on this machine, uploads it as opaque chunks and announces it
/// to a room or a user in an ordinary end-to-end encrypted message.</summary>
[Cmdlet(VerbsCommunications.Send, "ChatFile", DefaultParameterSetName = "Room", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(SentFile))]
public sealed class SendChatFileCommand : Client.SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath", "LiteralPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(ParameterSetName = "Room")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RoomCompleter))]
    public string? Room { get; set; }

    /// <summary>Sends the file to this user, in the direct conversation of the two of you.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Direct")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string? To { get; set; }

    /// <summary>The name the receivers see (by default the file's own name).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    private string? _target;

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        var path = ResolvePath(Path);
        try
        {
            if (!File.Exists(path))
            {
                throw new OpenChatException(ErrorIds.FileNotFound, ErrorKind.NotFound, $"There is no file '{path}'.");
            }

            _target ??= ResolveTarget(session, Room, To);
            var length = (ulong)new FileInfo(path).Length;
            if (!ShouldProcess(_target, $"Send file '{path}' ({ChatAttachment.FormatSize(length)})"))
            {
                return;
            }

            var name = Name ?? System.IO.Path.GetFileName(path);
            var progress = new TransferProgress(3, $"Sending {Engine.TerminalText.Neutralise(name)} to {Engine.TerminalText.Neutralise(_target)}", length);
            var target = _target;
            var sent = progress.Await(this, session.Secure.SendFileAsync(target, path, name, progress, CancelToken));
            WriteObject(sent);
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, path);
        }
    }
}
