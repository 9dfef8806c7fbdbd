using System.Management.Automation;
using OpenChat.Engine;
using OpenChat.Engine.Pki;

namespace OpenChat.Cmdlets.Pki;

[Cmdlet(VerbsCommon.Get, "ChatInvite")]
[OutputType(typeof(ChatInvite))]
public sealed class GetChatInviteCommand : ChatCmdlet
{
    /// <summary>The data directory; by default that of the server running in this session.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("User")]
    [SupportsWildcards]
    public string[]? UserName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Id { get; set; }

    [Parameter]
    public InviteStatus[]? Status { get; set; }

    protected override void ProcessRecord()
    {
        string path;
        try
        {
            path = ResolveDataPath(Path);
        }
        catch (OpenChatException e)
        {
            ThrowFailure(e, Path);
            return;
        }

        try
        {
            var book = new InviteBook(new CaDirectory(path));
            var patterns = UserName?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            var now = book.Now;
            foreach (var record in book.Find())
            {
                if ((patterns is null || patterns.Any(p => p.IsMatch(record.UserName)))
                    && (Id is null || Id.Contains(record.Id, StringComparer.OrdinalIgnoreCase))
                    && (Status is null || Status.Contains(record.StatusAt(now))))
                {
                    WriteObject(new ChatInvite(record, now));
                }
            }
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, path);
        }
    }
}
