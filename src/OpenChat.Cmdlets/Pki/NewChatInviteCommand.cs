using System.Management.Automation;
using OpenChat.Engine.Pki;

namespace OpenChat.Cmdlets.Pki;

[Cmdlet(VerbsCommon.New, "ChatInvite", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatInvite))]
public sealed class NewChatInviteCommand : ChatCmdlet
{
    private InviteBook? _book;
    private int _created;

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("User", "Name")]
    public string UserName { get; set; } = "";

    /// <summary>How long the invite can be redeemed; 7 days unless given.</summary>
    [Parameter]
    public TimeSpan? ValidFor { get; set; }

    /// <summary>The address the new user's client connects to, host:port.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Server { get; set; }

    [Parameter]
    public SwitchParameter AdditionalDevice { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            _book ??= new InviteBook(new Engine.Pki.CaDirectory(ResolvePath(Path)));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, Path);
            return;
        }

        if (!ShouldProcess($"user '{UserName}'", "Create enrollment invite"))
        {
            return;
        }

        try
        {
            var (record, code) = _book.Create(UserName, ValidFor, Server, AdditionalDevice);
            _created++;
            WriteProgress(new ProgressRecord(1, "Creating invites", $"{_created} created, last: {record.UserName}"));
            WriteObject(new ChatInvite(record, _book.Now, code.ToString()));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, UserName);
        }
    }

    protected override void EndProcessing()
    {
        if (_created > 0)
        {
            WriteProgress(new ProgressRecord(1, "Creating invites", "Done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
