using OpenChat.Engine;
using OpenChat.Engine.Files;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Files;

public class SafeFileNameTests
{
    [Theory]
    [InlineData("../../evil", "evil")]
    [InlineData("..\\..\\evil.exe", "evil.exe")]
    [InlineData("/etc/passwd", "passwd")]
    [InlineData("C:\\Windows\\system32\\x.dll", "x.dll")]
    [InlineData("C:evil", "evil")]
    [InlineData("notes.txt:hidden", "hidden")]
    [InlineData("..", "attachment")]
    [InlineData("", "attachment")]
    [InlineData("   ", "attachment")]
    [InlineData(".bashrc", "bashrc")]
    [InlineData("-rf", "rf")]
    [InlineData("--help.txt", "help.txt")]
    [InlineData("CON", "_CON")]
    [InlineData("nul.txt", "_nul.txt")]
    [InlineData("com1.log", "_com1.log")]
    [InlineData("report.", "report")]
    [InlineData("a\u0000b\u001b[31mc", "a_b_[31mc")]
    [InlineData("invoice\u202Egnp.exe", "invoice_gnp.exe")]
    [InlineData("a<b>c|d?e*f\"g", "a_b_c_d_e_f_g")]
    [InlineData("build.log", "build.log")]
    [InlineData("Résumé 2026.pdf", "Résumé 2026.pdf")]
    public void An_announced_name_becomes_one_plain_file_name(string announced, string expected)
    {
        Assert.Equal(expected, SafeFileName.Sanitise(announced));
    }

    [Fact]
    public void A_long_name_is_cut_and_keeps_its_extension()
    {
        var name = SafeFileName.Sanitise(new string('x', 300) + ".tar.gz");
        Assert.True(name.Length <= 200);
        Assert.EndsWith(".gz", name, StringComparison.Ordinal);
    }

    [Fact]
    public void No_sanitised_name_leaves_the_destination()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        foreach (var announced in new[] { "../../evil", "..", "/abs", "a/../../b", "\\\\server\\share\\x", "~/x", "...", ". .", "a\\..\\..\\b" })
        {
            var path = SafeFileName.PathUnder(temp.Path, SafeFileName.Sanitise(announced));
            Assert.Equal(Path.GetFullPath(temp.Path), Path.GetDirectoryName(path));
        }
    }

    [Fact]
    public void A_path_outside_the_destination_is_refused()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        Assert.Equal(ErrorIds.FileNameInvalid, Assert.Throws<OpenChatException>(() => SafeFileName.PathUnder(temp.Path, "../evil")).ErrorId);
        Assert.Throws<OpenChatException>(() => SafeFileName.PathUnder(temp.Path, "sub/evil"));
        Assert.Throws<OpenChatException>(() => SafeFileName.PathUnder(temp.Path, ".."));
    }

    [Fact]
    public void An_existing_file_gets_a_numbered_name_instead_of_being_overwritten()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        File.WriteAllText(Path.Combine(temp.Path, "a.txt"), "mine");
        File.WriteAllText(Path.Combine(temp.Path, "a (2).txt"), "mine too");
        Assert.Equal(Path.Combine(Path.GetFullPath(temp.Path), "a (3).txt"), SafeFileName.Unused(temp.Path, "a.txt"));
    }
}
