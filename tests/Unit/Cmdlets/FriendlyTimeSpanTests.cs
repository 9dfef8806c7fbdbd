using System.Management.Automation;
using OpenChat.Cmdlets.Pki;

namespace OpenChat.Tests.Unit.Cmdlets;

public class FriendlyTimeSpanTests
{
    [Theory]
    [InlineData("30d", 30 * 24 * 60)]
    [InlineData("12h", 12 * 60)]
    [InlineData("10m", 10)]
    [InlineData(" 2W ", 14 * 24 * 60)]
    [InlineData("90s", 1.5)]
    public void A_short_form_becomes_the_span_it_names(string text, double minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), FriendlyTimeSpanAttribute.Convert(text));
        Assert.Equal(TimeSpan.FromMinutes(minutes), FriendlyTimeSpanAttribute.Convert(new PSObject(text)));
    }

    [Theory]
    [InlineData("30.00:00:00")]
    [InlineData("10")]
    [InlineData("10x")]
    [InlineData("-5m")]
    [InlineData("")]
    public void Anything_else_passes_through_for_PowerShell_to_convert_or_refuse(string text) =>
        Assert.Same(text, FriendlyTimeSpanAttribute.Convert(text));

    [Fact]
    public void A_span_too_long_to_represent_is_refused_as_a_transformation_error() =>
        Assert.Throws<ArgumentTransformationMetadataException>(() => FriendlyTimeSpanAttribute.Convert("999999999w"));

    [Fact]
    public void A_timespan_passes_through() =>
        Assert.Equal(TimeSpan.FromHours(1), FriendlyTimeSpanAttribute.Convert(TimeSpan.FromHours(1)));
}
