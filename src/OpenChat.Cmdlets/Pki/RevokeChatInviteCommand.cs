using System.Management.Automation;
using OpenChat.Engine.Pki;

namespace OpenChat.Cmdlets.Pki;

[Cmdlet(VerbsSecurity.Revoke, "ChatInvite", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ChatInvite))]
public sealed class RevokeChatInviteCommand : ChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path);
        InviteBook book;
        try
        {
            book = new InviteBook(new CaDirectory(path));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, path);
            return;
        }

        foreach (var id in Id)
        {
            if (!ShouldProcess($"invite {id}", "Cancel"))
            {
                continue;
            }

            try
            {
                var record = book.Revoke(id);
                if (PassThru)
                {
                    WriteObject(new ChatInvite(record, book.Now));
                }
            }
            catch (Exception e) when (IsPerInput(e))
            {
                WriteFailure(e, id);
            }
        }
    }
}
