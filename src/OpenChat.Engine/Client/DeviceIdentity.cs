using OpenChat.Engine.Group;

namespace OpenChat.Engine.Client;

/// <summary>
/// This device's group identity for the session, which a certificate renewal replaces while the
/// session runs (<see cref="Switch"/>): the parts that sign, match their own events or make new
/// rooms read <see cref="Current"/> when they need it, never a copy taken at the start. Every
/// serial the device had in this session (and the one its saved state knew) stays its own, so
/// its events under the previous certificate are still recognised as this device's.
/// </summary>
internal sealed class DeviceIdentity
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _serials = Roster.SerialSet([]);
    private GroupIdentity _current;

    public DeviceIdentity(GroupIdentity initial, string? previousSerial = null)
    {
        _current = initial;
        _serials.Add(initial.Serial);
        if (previousSerial is not null)
        {
            _serials.Add(previousSerial);
        }
    }

    public GroupIdentity Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    public string Serial => Current.Serial;

    /// <summary>This device's, under its current certificate or one it had before in this session.</summary>
    public bool IsOwn(string serial)
    {
        lock (_gate)
        {
            return _serials.Contains(serial);
        }
    }

    /// <summary>Makes <paramref name="next"/> current; the previous one shares its keys and is not disposed.</summary>
    public void Switch(GroupIdentity next)
    {
        lock (_gate)
        {
            _current = next;
            _serials.Add(next.Serial);
        }
    }
}
