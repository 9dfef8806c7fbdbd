using System.Management.Automation;
using OpenChat.Cmdlets.Completion;

namespace OpenChat.Cmdlets.Client;

[Cmdlet(VerbsCommon.Get, "ChatContact")]
[OutputType(typeof(ChatContact))]
public sealed class GetChatContactCommand : SessionCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [Alias("Sender")]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string? UserName { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        var pattern = UserName is null ? null : new WildcardPattern(UserName, WildcardOptions.IgnoreCase);
        foreach (var contact in session.Secure.Contacts())
        {
            if (pattern is null || pattern.IsMatch(contact.UserName))
            {
                WriteObject(new ChatContact(contact, session.Secure.SafetyNumber(contact.UserName)));
            }
        }
    }
}
