using System.Text.RegularExpressions;

namespace OpenChat.Engine.Client;

/// <summary>
/// What to take from this device's message history (<see cref="SecureSession.GetHistory"/>).
/// Every filter given must hold; none given returns everything, newest last.
/// </summary>
public sealed record HistoryQuery
{
    /// <summary>One room (or direct conversation); null for all.</summary>
    public string? Room { get; init; }

    /// <summary>Only the newest this many (after the other filters).</summary>
    public int? Last { get; init; }

    /// <summary>Stored by the server at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Stored by the server before this time.</summary>
    public DateTimeOffset? Before { get; init; }

    /// <summary>With <see cref="Room"/> only: records with a smaller sequence (for paging back
    /// from the oldest one shown).</summary>
    public ulong? BeforeSequence { get; init; }

    /// <summary>Sent by this user (case-insensitive).</summary>
    public string? From { get; init; }

    /// <summary>Matches the text (notices have none of their own, so a pattern that needs a
    /// character never matches one).</summary>
    public Regex? Match { get; init; }

    /// <summary>Membership notices too (the default); false for messages and refused events only.</summary>
    public bool IncludeNotices { get; init; } = true;

    internal bool Accepts(SecureMessage message) =>
        (IncludeNotices || !message.IsNotice)
        && (Since is not { } since || message.Time >= since)
        && (Before is not { } before || message.Time < before)
        && (From is null || string.Equals(message.Sender, From, StringComparison.OrdinalIgnoreCase))
        && (Match is null || Match.IsMatch(message.Text));
}
