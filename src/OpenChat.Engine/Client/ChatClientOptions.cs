using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OpenChat.Engine.Client;

public sealed class ChatClientOptions
{
    /// <summary>Where the client's components log (none by default). Every failure on a background
    /// task is logged here (and counted, <see cref="Diagnostics.EngineLog"/>) instead of vanishing.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often an otherwise quiet client pings, so the server's idle timeout never fires on it.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    public bool Reconnect { get; set; } = true;

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    public uint HistoryBatch { get; set; } = 1000;

    /// <summary>Connects here instead of the address in the profile (host:port).</summary>
    public string? Server { get; set; }

    /// <summary>Keeps last-read sequences and the outbox in the profile (off for load generators).</summary>
    public bool PersistState { get; set; } = true;

    /// <summary>Unread messages a session keeps per room (saved with its state); past either bound
    /// the oldest are dropped, and the user is told.</summary>
    public int MaxUnreadPerRoom { get; set; } = 10_000;

    public long MaxUnreadCharsPerRoom { get; set; } = 16 * 1024 * 1024;

    /// <summary>How often a connected client looks whether its certificate is due for renewal
    /// (two thirds of its validity passed, read from <see cref="Time"/>).</summary>
    public TimeSpan RenewalCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The first wait after a renewal that failed; it doubles up to <see cref="MaxRenewalRetryDelay"/>.</summary>
    public TimeSpan RenewalRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRenewalRetryDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long this device's key-agreement key in a room (its leaf) serves before the
    /// device commits a key update there (<see cref="Group.CommitReason.Update"/>). Positive: zero
    /// or less would make every send, and every event, commit an update first.</summary>
    public TimeSpan KeyUpdateInterval
    {
        get => _keyUpdateInterval;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _keyUpdateInterval = value;
        }
    }

    /// <summary>How many messages a room may see (from anyone) under this device's leaf before the
    /// device commits a key update there. Positive, for the same reason.</summary>
    public int KeyUpdateAfterMessages
    {
        get => _keyUpdateAfterMessages;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _keyUpdateAfterMessages = value;
        }
    }

    private TimeSpan _keyUpdateInterval = Group.GroupState.DefaultKeyUpdateInterval;
    private int _keyUpdateAfterMessages = Group.GroupState.DefaultKeyUpdateAfterMessages;

    /// <summary>This device's clock (tests move it; the group layer judges events by the room's own).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;
}

public enum ChatClientState
{
    Connected,
    Reconnecting,
    Closed,
}
