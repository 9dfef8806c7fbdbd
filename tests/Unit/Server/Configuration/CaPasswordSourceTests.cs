using OpenChat.Engine;
using OpenChat.Engine.Server.Configuration;
using Xunit;

namespace OpenChat.Tests.Unit.Server.Configuration;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CaPasswordSourceTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("openchat-pw-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string WriteFile(string text, UnixFileMode mode)
    {
        var path = Path.Combine(_dir.FullName, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void An_owner_only_file_gives_its_password_without_the_trailing_newline()
    {
        Assert.Equal("s3cret", new string(CaPasswordSource.ReadFile(WriteFile("s3cret\n", UnixFileMode.UserRead | UnixFileMode.UserWrite))));
        Assert.Equal("s3cret ", new string(CaPasswordSource.ReadFile(WriteFile("s3cret \r\n", UnixFileMode.UserRead))));
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, "0640")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, "0644")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, "0700")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.OtherWrite, "0402")]
    public void A_file_others_can_reach_is_refused_naming_its_mode(UnixFileMode mode, string octal)
    {
        var e = Assert.Throws<OpenChatException>(() => CaPasswordSource.ReadFile(WriteFile("s3cret", mode)));

        Assert.Equal(ErrorIds.PasswordFileInsecure, e.ErrorId);
        Assert.Contains(octal, e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }

    [Fact]
    public void A_missing_or_empty_file_is_refused()
    {
        Assert.Equal(ErrorIds.ConfigurationInvalid, Assert.Throws<OpenChatException>(() => CaPasswordSource.ReadFile(Path.Combine(_dir.FullName, "none"))).ErrorId);
        Assert.Equal(ErrorIds.CaPasswordRequired, Assert.Throws<OpenChatException>(() => CaPasswordSource.ReadFile(WriteFile("\n", UnixFileMode.UserRead))).ErrorId);
    }

    [Fact]
    public void A_variable_gives_its_password_and_a_missing_or_empty_one_is_refused()
    {
        var name = "OPENCHAT_TEST_PW_" + Guid.NewGuid().ToString("N");
        Assert.Equal(ErrorIds.PasswordVariableMissing, Assert.Throws<OpenChatException>(() => CaPasswordSource.ReadVariable(name)).ErrorId);
        try
        {
            Environment.SetEnvironmentVariable(name, "from-env");
            Assert.Equal("from-env", new string(CaPasswordSource.ReadVariable(name)));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
