using System.Management.Automation;
using OpenChat.Cmdlets.Completion;

namespace OpenChat.Cmdlets.Client;

/// <summary>Marks a contact verified after comparing safety numbers.</summary>
[Cmdlet(VerbsLifecycle.Confirm, "ChatContact", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(ChatContact))]
public sealed class ConfirmChatContactCommand : SessionCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string UserName { get; set; } = "";

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        var number = session.Secure.SafetyNumber(UserName);
        if (!ShouldProcess($"'{UserName}' (safety number {number ?? "unknown"})", "Mark verified"))
        {
            return;
        }

        try
        {
            var contact = session.Secure.ConfirmContact(UserName, number);
            if (PassThru)
            {
                WriteObject(new ChatContact(contact, session.Secure.SafetyNumber(UserName)));
            }
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, UserName);
        }
    }
}
