using System.Management.Automation;
using OpenChat.Cmdlets.Completion;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Pki;

namespace OpenChat.Cmdlets.Pki;

[Cmdlet(VerbsSecurity.Revoke, "ChatCertificate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = SerialSet)]
[OutputType(typeof(ChatCertificate))]
public sealed class RevokeChatCertificateCommand : ChatCmdlet
{
    private const string SerialSet = "Serial";
    private const string UserSet = "UserName";

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = SerialSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Serial { get; set; } = [];

    /// <summary>Revokes every valid certificate (every device) of these users.</summary>
    [Parameter(Mandatory = true, ParameterSetName = UserSet)]
    [Alias("User")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string[] UserName { get; set; } = [];

    [Parameter]
    public X509RevocationReason Reason { get; set; } = X509RevocationReason.Unspecified;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path);
        CertificateRegistry registry;
        try
        {
            registry = new CertificateRegistry(new CaDirectory(path));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            ThrowFailure(e, path);
            return;
        }

        var targets = ParameterSetName == UserSet ? UserName.SelectMany(u => SerialsOf(registry, u)) : Serial.Select(s => (s, (string?)null));
        foreach (var (serial, error) in targets)
        {
            try
            {
                if (error is not null && CancelInvitesOfCertificatelessUser(registry, path, serial))
                {
                    continue;
                }

                if (error is not null)
                {
                    throw new OpenChatException(error == ErrorIds.CertificateAlreadyRevoked ? error : ErrorIds.CertificateNotFound,
                        error == ErrorIds.CertificateAlreadyRevoked ? ErrorKind.InvalidOperation : ErrorKind.NotFound,
                        error == ErrorIds.CertificateAlreadyRevoked
                            ? $"'{serial}' has no valid certificate left to revoke: it was already revoked."
                            : $"No certificate was issued to '{serial}' by this CA.");
                }

                var record = registry.Find(serial: serial).FirstOrDefault();
                var label = record is null ? serial : $"{record.Name} (serial {record.Serial})";
                if (!ShouldProcess(label, $"Revoke certificate, reason {Reason}"))
                {
                    continue;
                }

                var (revoked, cancelled) = registry.RevokeAndCancelInvites(serial, Reason);
                WarnCancelled(revoked.Name, cancelled);

                if (PassThru)
                {
                    WriteObject(new ChatCertificate(revoked, registry.Now));
                }
            }
            catch (Exception e) when (IsPerInput(e))
            {
                WriteFailure(e, serial);
            }
        }
    }

    // Revoking a user by name who has no valid certificate (never enrolled, or revoked before)
    // still cancels the invites waiting for them: that is what revoking a user means. True when
    // there were any (then no error is due).
    private bool CancelInvitesOfCertificatelessUser(CertificateRegistry registry, string path, string userName)
    {
        var book = new InviteBook(new CaDirectory(path));
        if (book.Find(userName, InviteStatus.Pending).Count == 0 || !ShouldProcess($"pending invites of '{userName}'", "Cancel"))
        {
            return false;
        }

        var cancelled = book.CancelPendingFor(userName, $"the admin revoked user {userName}, who held no valid certificate");
        WarnCancelled(userName, cancelled);
        return cancelled.Count > 0;
    }

    private void WarnCancelled(string userName, IReadOnlyList<InviteRecord> cancelled)
    {
        if (cancelled.Count > 0)
        {
            // Said loudly: the admin may have meant to let this user enroll again.
            WriteWarning($"Cancelled {cancelled.Count} pending invite(s) for '{userName}' ({string.Join(", ", cancelled.Select(i => i.Id))}): "
                + $"'{userName}' has no valid certificate left, and a revoked user cannot come back with an invite issued before the revocation. "
                + "Issue a new invite if they should.");
        }
    }

    // A user's serials to revoke, or the user name with the reason there are none.
    private static IEnumerable<(string Serial, string? Error)> SerialsOf(CertificateRegistry registry, string userName)
    {
        var all = registry.Find(CertificateKind.Client, userName);
        var valid = all.Where(r => r.StatusAt(registry.Now) != CertificateStatus.Revoked).ToList();
        if (valid.Count > 0)
        {
            return valid.Select(r => (r.Serial, (string?)null));
        }

        return [(userName, all.Count > 0 ? ErrorIds.CertificateAlreadyRevoked : ErrorIds.CertificateNotFound)];
    }
}
