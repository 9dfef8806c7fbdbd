using System.Management.Automation;
using OpenChat.Cmdlets;
using OpenChat.Engine;
using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Cmdlets;

/// <summary>How engine failures become error records (issue 9, items 6 and 7).</summary>
public class ErrorRecordTests
{
    private sealed class Probe : ChatCmdlet
    {
        public static ErrorRecord Record(Exception e) => ToErrorRecord(e, null);

        public static bool PerInput(Exception e) => IsPerInput(e);
    }

    [Fact]
    public void A_message_over_the_limit_is_MessageTooLarge_with_category_LimitsExceeded_and_per_input()
    {
        var e = Assert.Throws<OpenChatException>(() => FrameLimits.CheckText(new string('x', FrameLimits.MaxTextBytes + 1)));
        var record = Probe.Record(e);
        Assert.Equal(ErrorIds.MessageTooLarge, record.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.LimitsExceeded, record.CategoryInfo.Category);
        Assert.True(Probe.PerInput(e));
    }

    [Fact]
    public void A_protocol_failure_is_never_an_unspecified_error()
    {
        var record = Probe.Record(new ProtocolException("A string field of 5432 bytes exceeds 4096."));
        Assert.Equal(ErrorIds.ProtocolViolation, record.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ProtocolError, record.CategoryInfo.Category);
    }

    [Fact]
    public void An_error_text_quoting_a_server_or_a_user_is_shown_neutralised_and_kept_exact()
    {
        const string said = "Refused by the server: \u001b[2J\u001b[31mall is fine\r\u202e";
        var record = Probe.Record(new OpenChatException(ErrorIds.NotAMember, ErrorKind.PolicyViolation, said));
        Assert.Equal("Refused by the server: ␛[2J␛[31mall is fine␍\\u202e", record.ErrorDetails!.Message);
        Assert.Equal(said, record.Exception.Message);

        Assert.Null(Probe.Record(new OpenChatException(ErrorIds.NotAMember, ErrorKind.PolicyViolation, "plain")).ErrorDetails);
    }
}
