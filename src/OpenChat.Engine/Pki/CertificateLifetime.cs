namespace OpenChat.Engine.Pki;

/// <summary>The shortest and longest lifetimes the CA gives certificates and invites.</summary>
public static class CertificateLifetime
{
    /// <summary>Ten minutes: long enough to deliver and use, short enough for tests and admins who
    /// want certificates that die soon. <c>notBefore</c> is set <see cref="ClockSkew.Backdating"/>
    /// back on top of it, so the span covers a clock slow by the whole tolerance; a shorter life
    /// would leave a clock that is fast little or nothing of it.</summary>
    public static readonly TimeSpan Minimum = TimeSpan.FromMinutes(10);

    /// <summary>Refuses a lifetime under <see cref="Minimum"/> or over <paramref name="maximum"/>
    /// (ValidityInvalid either way; the message says which bound).</summary>
    public static void Check(TimeSpan lifetime, TimeSpan maximum, string what)
    {
        if (lifetime < Minimum)
        {
            // A bare number given to a TimeSpan parameter becomes ticks: say how to write one.
            throw new OpenChatException(ErrorIds.ValidityInvalid, ErrorKind.InvalidArgument,
                $"{what} must be valid for at least {Minimum.TotalMinutes} minutes (got {lifetime}). Pass a TimeSpan such as 10m, 12h, 30d or (New-TimeSpan -Hours 2).");
        }

        if (lifetime > maximum)
        {
            throw new OpenChatException(ErrorIds.ValidityInvalid, ErrorKind.InvalidArgument,
                $"{what} may be valid for at most {maximum.TotalDays} days (got {lifetime}).");
        }
    }
}
