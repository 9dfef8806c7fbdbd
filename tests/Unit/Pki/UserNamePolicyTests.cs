using OpenChat.Engine;
using OpenChat.Engine.Pki;

namespace OpenChat.Tests.Unit.Pki;

public class UserNamePolicyTests
{
    [Theory]
    [InlineData("al")]
    [InlineData("alice")]
    [InlineData("Alice.Smith")]
    [InlineData("build_bot-2")]
    [InlineData("a234567890123456789012345678901b")] // 32 characters
    public void Accepts_valid_names(string name)
    {
        UserNamePolicy.Validate(name);
        Assert.True(UserNamePolicy.IsValid(name));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("a2345678901234567890123456789012c")] // 33 characters
    [InlineData("1alice")]
    [InlineData("_alice")]
    [InlineData("alice-")]
    [InlineData("alice.")]
    [InlineData("al ice")]
    [InlineData("al/ice")]
    [InlineData("al,ice")]
    [InlineData("CN=alice")]
    [InlineData("zoë")]
    [InlineData("alice\n")]
    [InlineData("аlice")] // Cyrillic a: looks like alice, is not ASCII
    public void Refuses_invalid_names(string? name)
    {
        var e = Assert.Throws<OpenChatException>(() => UserNamePolicy.Validate(name));
        Assert.Equal(ErrorIds.UserNameInvalid, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
    }

    [Theory]
    [InlineData("server")]
    [InlineData("System")]
    [InlineData("ADMIN")]
    [InlineData("root")]
    [InlineData("localhost")]
    public void Refuses_reserved_names_in_any_case(string name)
    {
        var e = Assert.Throws<OpenChatException>(() => UserNamePolicy.Validate(name));
        Assert.Equal(ErrorIds.UserNameReserved, e.ErrorId);
    }

    [Fact]
    public void Normalizes_case_for_uniqueness()
    {
        Assert.Equal(UserNamePolicy.Normalize("alice"), UserNamePolicy.Normalize("ALICE"));
    }

    [Fact]
    public void Error_text_does_not_echo_control_characters()
    {
        var e = Assert.Throws<OpenChatException>(() => UserNamePolicy.Validate("bad\u001b[31mname"));
        Assert.DoesNotContain('\u001b', e.Message);
    }
}
