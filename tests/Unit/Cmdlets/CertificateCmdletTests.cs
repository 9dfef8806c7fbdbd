using System.Management.Automation;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Cmdlets;

public class CertificateCmdletTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly Shell _shell = new();

    private string Data => _temp.Combine("chat");

    public void Dispose()
    {
        _shell.Dispose();
        _temp.Dispose();
    }

    private void CreateCa()
    {
        var result = _shell.Run("New-ChatCertificateAuthority -Path $args[0] -Name 'Cmdlet CA'", Data);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Creating_a_ca_returns_its_fingerprint_and_never_its_key()
    {
        var result = _shell.Run("New-ChatCertificateAuthority -Path $args[0] -Name 'Cmdlet CA'", Data);
        var ca = Assert.IsType<ChatCertificateAuthority>(Assert.Single(result.Output).BaseObject);
        Assert.Equal(CaDirectory.FormatFingerprint(new CaDirectory(Data).Fingerprint), ca.Fingerprint);
        Assert.False(ca.Certificate.HasPrivateKey);
        Assert.DoesNotContain(typeof(ChatCertificateAuthority).GetProperties(), p => p.Name.Contains("Key", StringComparison.Ordinal) && p.PropertyType != typeof(bool) && p.PropertyType != typeof(CaKeyAlgorithm));
    }

    [Fact]
    public void A_second_ca_without_force_is_a_resource_exists_error()
    {
        CreateCa();
        var result = _shell.Run("New-ChatCertificateAuthority -Path $args[0] -Name 'Again'", Data);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith(ErrorIds.CaAlreadyExists + ",", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, error.CategoryInfo.Category);
    }

    [Fact]
    public void Pipeline_binds_user_names_by_property_and_value()
    {
        CreateCa();
        var byProperty = _shell.Run("@([pscustomobject]@{ UserName = 'alice' }, [pscustomobject]@{ UserName = 'bob' }) | New-ChatCertificate -Path $args[0]", Data);
        Assert.Empty(byProperty.Errors);
        var byValue = _shell.Run("'carol', 'dave' | New-ChatCertificate -Path $args[0]", Data);
        Assert.Empty(byValue.Errors);
        var names = _shell.Run("Get-ChatCertificate -Path $args[0] | ForEach-Object UserName", Data).Output.Select(o => o.ToString());
        Assert.Equal(["alice", "bob", "carol", "dave"], names);
    }

    [Fact]
    public void A_refused_name_in_a_pipeline_does_not_stop_the_others()
    {
        CreateCa();
        var result = _shell.Run("'alice', 'system', 'bad name', 'bob' | New-ChatCertificate -Path $args[0]", Data);
        Assert.Equal(2, result.Output.Count);
        Assert.Equal(2, result.Errors.Count);
        Assert.StartsWith(ErrorIds.UserNameReserved + ",", result.Errors[0].FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.SecurityError, result.Errors[0].CategoryInfo.Category);
        Assert.StartsWith(ErrorIds.UserNameInvalid + ",", result.Errors[1].FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, result.Errors[1].CategoryInfo.Category);
    }

    [Fact]
    public void WhatIf_issues_nothing()
    {
        CreateCa();
        _shell.Run("New-ChatCertificate -Path $args[0] -UserName alice -WhatIf", Data);
        _shell.Run("New-ChatInvite -Path $args[0] -UserName bob -WhatIf", Data);
        _shell.Run("New-ChatCertificate -Path $args[0] -UserName carol", Data);
        _shell.Run("Revoke-ChatCertificate -Path $args[0] -UserName carol -WhatIf", Data);
        var registry = new CertificateRegistry(new CaDirectory(Data));
        Assert.Equal(["carol"], registry.Find().Select(r => r.Name));
        Assert.Equal(CertificateStatus.Valid, registry.Find().Single().StatusAt(DateTimeOffset.UtcNow));
        Assert.Empty(new InviteBook(new CaDirectory(Data)).Find());
    }

    [Fact]
    public void Missing_ca_is_an_object_not_found_error()
    {
        var result = _shell.Run("New-ChatCertificate -Path $args[0] -UserName alice", Data);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith(ErrorIds.CaNotFound + ",", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
    }

    [Fact]
    public void Wrong_ca_password_is_an_authentication_error_that_stops_the_pipeline()
    {
        var result = _shell.Run("""
            $pw = ConvertTo-SecureString 'right password' -AsPlainText -Force
            New-ChatCertificateAuthority -Path $args[0] -Name 'Locked' -Password $pw | Out-Null
            $wrong = ConvertTo-SecureString 'wrong password' -AsPlainText -Force
            'alice', 'bob' | New-ChatCertificate -Path $args[0] -CAPassword $wrong
            """, Data);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith(ErrorIds.CaPasswordWrong + ",", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
        Assert.DoesNotContain("right password", error.ToString());
        Assert.Empty(new CertificateRegistry(new CaDirectory(Data)).Find());
    }

    [Fact]
    public void Revoking_twice_is_a_non_terminating_error()
    {
        CreateCa();
        _shell.Run("New-ChatCertificate -Path $args[0] -UserName alice", Data);
        var first = _shell.Run("Revoke-ChatCertificate -Path $args[0] -UserName alice -Reason KeyCompromise -Confirm:$false -PassThru; 'after'", Data);
        Assert.Empty(first.Errors);
        Assert.Equal(CertificateStatus.Revoked, Assert.IsType<ChatCertificate>(first.Output[0].BaseObject).Status);
        var second = _shell.Run("Get-ChatCertificate -Path $args[0] -UserName alice | Revoke-ChatCertificate -Path $args[0] -Confirm:$false; 'after'", Data);
        var error = Assert.Single(second.Errors);
        Assert.StartsWith(ErrorIds.CertificateAlreadyRevoked + ",", error.FullyQualifiedErrorId);
        Assert.Equal("after", second.Output.Last().ToString());
    }

    [Fact]
    public void Certificate_request_can_be_a_file_or_pem_text()
    {
        CreateCa();
        var file = _temp.Combine("dave.csr");
        File.WriteAllText(file, Requests.EcP256("CN=dave"));
        var fromFile = _shell.Run("New-ChatCertificate -Path $args[0] -UserName dave -CertificateRequest $args[1]", Data, file);
        Assert.Empty(fromFile.Errors);
        var fromText = _shell.Run("New-ChatCertificate -Path $args[0] -UserName erin -CertificateRequest $args[1]", Data, Requests.EcP256("CN=erin"));
        Assert.Empty(fromText.Errors);
        var bad = _shell.Run("New-ChatCertificate -Path $args[0] -UserName frank -CertificateRequest $args[1]", Data, Requests.Rsa("CN=frank"));
        Assert.StartsWith(ErrorIds.CsrKeyNotAllowed + ",", Assert.Single(bad.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Pfx_output_needs_a_password_and_is_owner_only()
    {
        CreateCa();
        var pfx = _temp.Combine("alice.pfx");
        var refused = _shell.Run("New-ChatCertificate -Path $args[0] -UserName alice -OutFile $args[1]", Data, pfx);
        Assert.StartsWith(ErrorIds.PasswordRequired + ",", Assert.Single(refused.Errors).FullyQualifiedErrorId);
        Assert.False(File.Exists(pfx));
        Assert.Empty(new CertificateRegistry(new CaDirectory(Data)).Find());

        var written = _shell.Run("New-ChatCertificate -Path $args[0] -UserName alice -OutFile $args[1] -Password (ConvertTo-SecureString 'pfx pass' -AsPlainText -Force)", Data, pfx);
        Assert.Empty(written.Errors);
        var loaded = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(pfx, "pfx pass");
        Assert.True(loaded.HasPrivateKey);
        Assert.Equal("CN=alice", loaded.Subject);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pfx));
        }

        var exists = _shell.Run("New-ChatCertificate -Path $args[0] -UserName bob -OutFile $args[1] -Password (ConvertTo-SecureString 'x' -AsPlainText -Force)", Data, pfx);
        Assert.StartsWith(ErrorIds.OutputFileExists + ",", Assert.Single(exists.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Invites_from_a_csv_like_pipeline()
    {
        CreateCa();
        Assert.Empty(_shell.Run("New-ChatCertificate -Path $args[0] -Server -DnsName chat.example.org", Data).Errors);
        var result = _shell.Run("""
            @([pscustomobject]@{ UserName = 'carol'; Server = 'chat.example.org:9000' }, [pscustomobject]@{ UserName = 'dave'; Server = 'chat.example.org:9000' }) |
                New-ChatInvite -Path $args[0]
            """, Data);
        Assert.Empty(result.Errors);
        var invites = result.Output.Select(o => Assert.IsType<ChatInvite>(o.BaseObject)).ToList();
        Assert.All(invites, i => Assert.Equal("chat.example.org:9000", InviteCode.Parse(i.Invite).Server));
        var listed = _shell.Run("Get-ChatInvite -Path $args[0] -Status Pending", Data).Output;
        Assert.Equal(2, listed.Count);
        Assert.All(listed, o => Assert.Null(((ChatInvite)o.BaseObject).Invite));
    }
}
