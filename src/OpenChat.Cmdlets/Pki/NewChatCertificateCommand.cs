using System.Management.Automation;
using System.Net;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Cmdlets.Pki;

[Cmdlet(VerbsCommon.New, "ChatCertificate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = UserSet)]
[OutputType(typeof(ChatCertificate))]
public sealed class NewChatCertificateCommand : ChatCmdlet
{
    // One set for users, with or without a CSR: two sets that both bind UserName from the
    // pipeline would let PowerShell pick the default one and silently ignore a CSR column.
    private const string UserSet = "User";
    private const string ServerSet = "Server";

    private CertificateAuthority? _ca;
    private int _issued;

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = UserSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("User", "Name")]
    public string UserName { get; set; } = "";

    /// <summary>A PEM PKCS#10 request, or the path of a file holding one.</summary>
    [Parameter(ParameterSetName = UserSet, ValueFromPipelineByPropertyName = true)]
    [Alias("Csr")]
    [AllowEmptyString]
    public string? CertificateRequest { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ServerSet)]
    public SwitchParameter Server { get; set; }

    [Parameter(ParameterSetName = ServerSet)]
    [ValidateNotNullOrEmpty]
    public string[] DnsName { get; set; } = [];

    [Parameter(ParameterSetName = ServerSet)]
    [ValidateNotNullOrEmpty]
    public IPAddress[] IPAddress { get; set; } = [];

    [Parameter]
    [ValidateRange(1, CertificateAuthority.MaxLeafValidDays)]
    public int ValidDays { get; set; }

    /// <summary>The lifetime as a span (10m, 12h, 30d or a TimeSpan), at least ten minutes;
    /// not together with -ValidDays.</summary>
    [Parameter]
    [FriendlyTimeSpan]
    public TimeSpan? ValidFor { get; set; }

    [Parameter(ParameterSetName = UserSet)]
    public SwitchParameter AdditionalDevice { get; set; }

    [Parameter]
    public SecureString? CAPassword { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    /// <summary>A folder (created owner-only) that gets one file per user: &lt;user&gt;.pfx, or
    /// &lt;user&gt;.crt.pem for a certificate signed from a CSR. A row's own OutFile wins.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? OutDirectory { get; set; }

    /// <summary>Protects the PKCS#12 files written by -OutFile or -OutDirectory.</summary>
    [Parameter]
    [Alias("CertificatePassword")]
    public SecureString? Password { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var target = ParameterSetName == ServerSet ? "server certificate" : $"client certificate for '{UserName}'";
        if (ValidFor is not null && ValidDays > 0)
        {
            ThrowFailure(new OpenChatException(ErrorIds.ValidityConflict, ErrorKind.InvalidArgument,
                "Give the lifetime once: -ValidFor (a span such as 10m, 12h, 30d) or -ValidDays (whole days), not both. Nothing was issued."), ValidFor);
        }

        try
        {
            if (OutFile is not null)
            {
                CheckOutFile(ResolvePath(OutFile));
            }

            if (!ShouldProcess(target, "Issue"))
            {
                return;
            }

            // The CA first: without it no input can succeed, and its failure stops the pipeline.
            _ca ??= OpenCa();
            var outFile = OutputFile();
            if (outFile is not null)
            {
                CheckOutFile(outFile);
            }

            var issued = ParameterSetName == ServerSet
                ? _ca.IssueServer(DnsName, IPAddress, LifetimeOr(CertificateAuthority.DefaultServerValidDays), replaceInstalled: Force)
                : HasRequest
                    ? _ca.SignRequest(ReadRequest(), UserName, LifetimeOr(CertificateAuthority.DefaultClientValidDays), AdditionalDevice)
                    : _ca.IssueClient(UserName, LifetimeOr(CertificateAuthority.DefaultClientValidDays), AdditionalDevice);

            if (outFile is not null)
            {
                WriteOutFile(issued.Certificate, outFile);
            }

            if (ParameterSetName == ServerSet)
            {
                WarnAboutInvitesForTheOldKey(issued.Record.IssuedAt);
            }

            _issued++;
            WriteProgress(new ProgressRecord(1, "Issuing certificates", $"{_issued} issued, last: {issued.Record.Name}"));
            WriteObject(new ChatCertificate(issued.Record, DateTimeOffset.UtcNow, issued.Certificate, outFile));
        }
        catch (OpenChatException e) when (e.ErrorId is ErrorIds.CaNotFound or ErrorIds.CaPasswordRequired or ErrorIds.CaPasswordWrong or ErrorIds.CaKeyInvalid)
        {
            // Nothing else in the pipeline can succeed without the CA.
            ThrowFailure(e, Path);
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, ParameterSetName == ServerSet ? (object)"server" : UserName);
        }
    }

    protected override void EndProcessing()
    {
        if (_issued > 0)
        {
            WriteProgress(new ProgressRecord(1, "Issuing certificates", "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    public override void Dispose()
    {
        _ca?.Dispose();
        base.Dispose();
    }

    // Invites name the server key that was installed when they were made: after a replacement
    // they lead their users to a refusal (ServerKeyMismatch), which the admin should hear now.
    private void WarnAboutInvitesForTheOldKey(DateTimeOffset replacedAt)
    {
        var waiting = new InviteBook(_ca!.Directory).Find(status: InviteStatus.Pending).Where(i => i.CreatedAt <= replacedAt).ToList();
        if (waiting.Count > 0)
        {
            WriteWarning($"{waiting.Count} pending invite(s) ({string.Join(", ", waiting.Select(i => i.Id))}) name the server key that was installed before: "
                + "once the server runs with the new certificate (restart it), enrolling with them fails with ServerKeyMismatch. Cancel them with Revoke-ChatInvite and issue new ones.");
        }
    }

    // A private key made here exists nowhere but in the output object unless it goes to a file:
    // printed to a console (or lost with the pipeline), it would be a key nobody can use or one
    // anybody reading the scrollback can. So a keyed user certificate needs -OutFile or
    // -OutDirectory; a CSR-signed one carries no key and needs neither.
    private string? OutputFile()
    {
        if (OutFile is not null)
        {
            return ResolvePath(OutFile);
        }

        if (ParameterSetName == ServerSet)
        {
            return null;
        }

        if (OutDirectory is not null)
        {
            var directory = ResolvePath(OutDirectory);
            UserNamePolicy.Validate(UserName);
            SecureFile.CreateDirectory(directory);
            return System.IO.Path.Combine(directory, UserNamePolicy.Normalize(UserName) + (HasRequest ? ".crt.pem" : ".pfx"));
        }

        if (!HasRequest)
        {
            ThrowFailure(new OpenChatException(ErrorIds.KeyOutputRequired, ErrorKind.InvalidArgument,
                "A user certificate issued here comes with a private key, which must go to a file: give -OutDirectory <folder> (one password-protected <user>.pfx per user) "
                + "or -OutFile <file.pfx>, with -Password (Read-Host -AsSecureString). Nothing was issued."), UserName);
        }

        return null;
    }

    private CertificateAuthority OpenCa()
    {
        var directory = new CaDirectory(ResolvePath(Path));
        return WithPassword(CAPassword, password => CertificateAuthority.Open(directory, password));
    }

    private bool HasRequest => !string.IsNullOrWhiteSpace(CertificateRequest);

    private TimeSpan LifetimeOr(int fallbackDays) =>
        ValidFor ?? TimeSpan.FromDays(ValidDays > 0 ? ValidDays : fallbackDays);

    private string ReadRequest()
    {
        var request = CertificateRequest!;
        if (request.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return request;
        }

        var file = ResolvePath(request);
        if (!File.Exists(file))
        {
            throw new OpenChatException(ErrorIds.CsrMalformed, ErrorKind.InvalidArgument,
                $"-CertificateRequest must be PEM text or the path of a PEM file; '{file}' does not exist.");
        }

        var info = new FileInfo(file);
        if (info.Length > CsrPolicy.MaxPemLength)
        {
            throw new OpenChatException(ErrorIds.CsrMalformed, ErrorKind.InvalidData, $"'{file}' is too large to be a certificate request.");
        }

        return File.ReadAllText(file);
    }

    private void CheckOutFile(string outFile)
    {
        if (File.Exists(outFile) && !Force)
        {
            throw new OpenChatException(ErrorIds.OutputFileExists, ErrorKind.AlreadyExists,
                $"'{outFile}' already exists. Use -Force to overwrite it.");
        }

        // A certificate made from a CSR has no private key here: it is written as PEM. The others
        // carry a private key and are written as password-protected PKCS#12.
        if (!HasRequest && (Password is null || Password.Length == 0))
        {
            throw new OpenChatException(ErrorIds.PasswordRequired, ErrorKind.InvalidArgument,
                "-OutFile writes the private key: give -Password to protect the PKCS#12 file.");
        }
    }

    // The CA certificate goes with the user's certificate (after it in the PEM, as a second bag
    // in the PKCS#12), so that Register-ChatUser -Certificate can pin the CA from the file.
    private void WriteOutFile(X509Certificate2 certificate, string outFile)
    {
        var ca = _ca!.Directory.Certificate;
        if (!certificate.HasPrivateKey)
        {
            SecureFile.WriteAllText(outFile, certificate.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n", overwrite: true);
            return;
        }

        using var caOnly = X509CertificateLoader.LoadCertificate(ca.RawData);
        var bundle = new X509Certificate2Collection { certificate, caOnly };
        var pfx = WithPassword(Password, password =>
            bundle.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, new string(password)));
        SecureFile.WriteAllBytes(outFile, pfx, overwrite: true);
    }
}
