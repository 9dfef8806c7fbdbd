using System.Management.Automation;
using OpenChat.Engine.Pki;

namespace OpenChat.Cmdlets.Pki;

[Cmdlet(VerbsCommon.Get, "ChatCertificateAuthority")]
[OutputType(typeof(ChatCertificateAuthority))]
public sealed class GetChatCertificateAuthorityCommand : ChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path);
        try
        {
            var directory = new CaDirectory(path);
            directory.EnsureExists();
            WriteObject(new ChatCertificateAuthority(directory));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, path);
        }
    }
}
