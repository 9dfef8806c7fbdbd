using System.Management.Automation;
using OpenChat.Cmdlets.Completion;
using OpenChat.Engine;
using OpenChat.Engine.Pki;

namespace OpenChat.Cmdlets.Pki;

[Cmdlet(VerbsCommon.Get, "ChatCertificate")]
[OutputType(typeof(ChatCertificate))]
public sealed class GetChatCertificateCommand : ChatCmdlet
{
    /// <summary>The data directory; by default that of the server running in this session.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>User names; wildcards allowed.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("User")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string[]? UserName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Serial { get; set; }

    [Parameter]
    public CertificateStatus[]? Status { get; set; }

    [Parameter]
    public CertificateKind? Kind { get; set; }

    /// <summary>Only certificates valid now that expire within this span (30d, 12h, 10m or a TimeSpan).</summary>
    [Parameter]
    [FriendlyTimeSpan]
    public TimeSpan? ExpiringWithin { get; set; }

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
            var registry = new CertificateRegistry(new CaDirectory(path));
            HashSet<string>? serials = null;
            if (Serial is not null)
            {
                serials = new HashSet<string>(StringComparer.Ordinal);
                foreach (var serial in Serial)
                {
                    try
                    {
                        serials.Add(CertificateRegistry.NormalizeSerial(serial));
                    }
                    catch (OpenChatException e)
                    {
                        WriteFailure(e, serial);
                    }
                }
            }

            var patterns = UserName?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            var now = registry.Now;
            var found = ExpiringWithin is { } within ? registry.ExpiringWithin(within, Kind) : registry.Find(Kind);
            foreach (var record in found)
            {
                if (serials is not null && !serials.Contains(record.Serial))
                {
                    continue;
                }

                if (patterns is not null && (record.Kind != CertificateKind.Client || !patterns.Any(p => p.IsMatch(record.Name))))
                {
                    continue;
                }

                if (Status is not null && !Status.Contains(record.StatusAt(now)))
                {
                    continue;
                }

                WriteObject(new ChatCertificate(record, now));
            }
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, path);
        }
    }
}
