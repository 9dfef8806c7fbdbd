using System.Management.Automation;
using System.Text.RegularExpressions;
using OpenChat.Cmdlets.Completion;
using OpenChat.Engine;
using OpenChat.Engine.Client;

namespace OpenChat.Cmdlets.Client;

/// <summary>Writes messages from this device's history (history.db in the profile), newest last,
/// as the same objects Receive-ChatMessage writes; reads nothing from the server and marks
/// nothing read.</summary>
[Cmdlet(VerbsCommon.Get, "ChatMessage")]
[OutputType(typeof(ChatMessage))]
public sealed class GetChatMessageCommand : SessionCmdlet
{
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(RoomCompleter))]
    public string? Room { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Last { get; set; }

    [Parameter]
    public DateTime Since { get; set; }

    [Parameter]
    public DateTime Before { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string? From { get; set; }

    /// <summary>A .NET regular expression, matched without case against the text.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Match { get; set; }

    [Parameter]
    public SwitchParameter IncludeNotice { get; set; }

    protected override void EndProcessing()
    {
        var session = ResolveSession();
        Regex? match = null;
        if (Match is not null)
        {
            try
            {
                match = new Regex(Match, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                ThrowFailure(new OpenChatException(ErrorIds.MatchPatternInvalid, ErrorKind.InvalidArgument,
                    $"-Match '{Match}' is not a valid regular expression: {e.Message}", e), Match);
            }
        }

        IReadOnlyList<SecureMessage> messages = [];
        try
        {
            messages = session.Secure.GetHistory(new HistoryQuery
            {
                Room = Room,
                Last = MyInvocation.BoundParameters.ContainsKey(nameof(Last)) ? Last : null,
                Since = MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? new DateTimeOffset(Since) : null,
                Before = MyInvocation.BoundParameters.ContainsKey(nameof(Before)) ? new DateTimeOffset(Before) : null,
                From = From,
                Match = match,
                IncludeNotices = IncludeNotice,
            });
        }
        catch (OpenChatException e)
        {
            ThrowFailure(e, Room);
        }

        foreach (var message in messages)
        {
            WriteObject(new ChatMessage(message));
        }
    }
}
