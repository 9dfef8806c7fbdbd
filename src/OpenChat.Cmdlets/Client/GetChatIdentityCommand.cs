using System.Management.Automation;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Client;

[Cmdlet(VerbsCommon.Get, "ChatIdentity")]
[OutputType(typeof(ChatIdentity))]
public sealed class GetChatIdentityCommand : ChatCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string? Name { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProfilePath { get; set; }

    protected override void EndProcessing()
    {
        var root = ProfilePath is null ? ChatProfile.DefaultRoot() : ResolvePath(ProfilePath);
        var pattern = Name is null ? null : new WildcardPattern(Name, WildcardOptions.IgnoreCase);
        foreach (var profile in ChatProfile.List(root))
        {
            if (pattern is null || pattern.IsMatch(profile.Name) || pattern.IsMatch(profile.UserName))
            {
                WriteObject(new ChatIdentity(profile));
            }
        }
    }
}
