using System.Management.Automation;
using OpenChat.Engine;
using OpenChat.Engine.Pki;

namespace OpenChat.Cmdlets.Pki;

[Cmdlet(VerbsCommon.New, "ChatInvite", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatInvite))]
public sealed class NewChatInviteCommand : ChatCmdlet
{
    private readonly HashSet<string> _invitedNow = new(StringComparer.OrdinalIgnoreCase);
    private InviteBook? _book;
    private int _created;
    private int _row;

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("User", "Name")]
    public string UserName { get; set; } = "";

    /// <summary>How long the invite can be redeemed (10m, 12h, 2d or a TimeSpan, at least ten
    /// minutes); 7 days unless given.</summary>
    [Parameter]
    [FriendlyTimeSpan]
    public TimeSpan? ValidFor { get; set; }

    /// <summary>The same as -ValidFor in whole days, so a CSV column can say it per row; 0 (an
    /// empty cell) means the default. The range is the invite book's (ValidityInvalid).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int ValidDays { get; set; }

    /// <summary>The address the new user's client connects to, host:port; several nodes of one
    /// deployment as several values (or one value with commas), tried in order.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Server { get; set; }

    [Parameter]
    public SwitchParameter AdditionalDevice { get; set; }

    protected override void ProcessRecord()
    {
        _row++;
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
            // Two rows for one person would give them two live invites: the second is a mistake
            // in the list, unless it is for another device.
            if (!AdditionalDevice && _invitedNow.Contains(UserName))
            {
                throw new OpenChatException(ErrorIds.UserNameDuplicate, ErrorKind.AlreadyExists,
                    $"'{UserName}' was already invited earlier in this pipeline; no second invite was made (use -AdditionalDevice for another device).");
            }

            if (ValidDays != 0 && ValidFor is not null)
            {
                throw new OpenChatException(ErrorIds.ValidityConflict, ErrorKind.InvalidArgument,
                    "Give the lifetime once: -ValidFor (a span such as 10m, 12h, 2d) or -ValidDays (whole days, also a CSV column), not both. No invite was made.");
            }

            var (record, code) = _book.Create(UserName, ValidDays != 0 ? TimeSpan.FromDays(ValidDays) : ValidFor, Server is null ? null : string.Join(',', Server), AdditionalDevice);
            _invitedNow.Add(record.UserName);
            _created++;
            WriteProgress(new ProgressRecord(1, "Creating invites", $"{_created} created, last: {record.UserName}") { CurrentOperation = $"input {_row}" });
            WriteObject(new ChatInvite(record, _book.Now, code.ToString()));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            // The row number lets an admin find the line in a long CSV (row 1 is the first data row).
            var error = ToErrorRecord(e, UserName);
            error.ErrorDetails = new ErrorDetails($"Input {_row} ('{TerminalText.Neutralise(UserName)}'): {error.ErrorDetails?.Message ?? e.Message}");
            WriteError(error);
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
