using OpenChat.Engine.Group;

namespace OpenChat.Cmdlets.Client;

/// <summary>The roles a user types (-Role Admin|Member, /op) as the engine's <see cref="RoomRole"/>.</summary>
internal static class RoomRoleNames
{
    public const string Admin = nameof(RoomRole.Admin);
    public const string Member = nameof(RoomRole.Member);

    public static RoomRole Parse(string role) =>
        string.Equals(role, Admin, StringComparison.OrdinalIgnoreCase) ? RoomRole.Admin : RoomRole.Member;
}
