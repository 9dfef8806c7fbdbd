namespace OpenChat.Engine;

/// <summary>
/// How far apart the clocks of a deployment's machines may be without anyone noticing: a device
/// up to <see cref="Tolerance"/> fast or slow against the server (and so up to twice that against
/// another device) enrolls, connects, joins, sends and reads like any other. Every comparison of
/// one machine's clock with a time another machine wrote (a certificate's start, an event's
/// time, a message's timestamp) allows for it, and a decision that must agree with the room's
/// (removing a member whose certificate ended) waits until the room surely agrees.
/// </summary>
/// <remarks>The end of a certificate is never extended: a device whose clock is fast sees a
/// certificate end a little early, which only ever affects what that device does next, never how
/// it judges the others' events (those are judged at the room's clock, the server's time).</remarks>
public static class ClockSkew
{
    /// <summary>Ten minutes either way.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(10);

    /// <summary>How far back the CA starts every certificate it issues (its own root too): the
    /// tolerance plus a margin, so that a certificate issued a moment ago is already valid on a
    /// machine whose clock is slow by the whole tolerance, whatever checks it (this engine, a TLS
    /// stack, openssl).</summary>
    public static readonly TimeSpan Backdating = Tolerance + TimeSpan.FromMinutes(5);

    /// <summary>True when a certificate that starts at <paramref name="notBefore"/> may act at
    /// <paramref name="at"/>, as judged by a clock that may be slow by the tolerance against the CA's.</summary>
    public static bool HasStarted(DateTimeOffset notBefore, DateTimeOffset at) =>
        at >= notBefore || notBefore - at <= Tolerance;

    /// <summary>The earliest time another machine's clock (the server's, sequencing this device's
    /// next event) can show when this device's shows <paramref name="now"/>.</summary>
    public static DateTimeOffset EarliestElsewhere(DateTimeOffset now) =>
        now > DateTimeOffset.MinValue + Tolerance ? now - Tolerance : DateTimeOffset.MinValue;
}
