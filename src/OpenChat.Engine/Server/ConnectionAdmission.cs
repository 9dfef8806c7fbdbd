using OpenChat.Engine.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Server;

/// <summary>What the accept loop decides about one more socket.</summary>
internal enum AdmissionVerdict
{
    Admitted,

    /// <summary>Open connections and handshakes together reach MaxConnections.</summary>
    ServerFull,

    /// <summary>The peer's address already holds MaxPendingPerAddress handshakes.</summary>
    TooManyFromAddress,
}

/// <summary>
/// The limits a connection passes before the server spends anything on it: MaxConnections
/// (open plus in the handshake), MaxPendingPerAddress handshakes per address, and
/// MaxEnrollmentConnections connections without a certificate (MaxEnrollmentConnectionsPerAddress
/// of them from one address); once greeted, MaxConnectionsPerUser and MaxConnectionsPerAddress
/// authenticated connections. It counts what was accepted and refused, and hands a full server's
/// sockets to <see cref="BusyRefusal"/>.
/// </summary>
internal sealed class ConnectionAdmission(ChatServerOptions options, BusyRefusal busy, ILogger log, ServerMetrics? metrics = null)
{
    // A peer can cause this at will: its log lines are throttled, the refusals never are.
    private readonly LogThrottle _refusals = new("connection refusals");

    private readonly Dictionary<IPAddress, int> _pendingByAddress = [];
    private readonly PlaceCounter<IPAddress> _enrollingByAddress = new();
    private readonly PlaceCounter<string> _sessionsByUser = new(StringComparer.Ordinal);
    private readonly PlaceCounter<IPAddress> _sessionsByAddress = new();
    private long _accepted;
    private long _refused;
    private int _handshaking;
    private int _enrolling;

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Admitted connections that have not yet finished their greeting.</summary>
    public int Handshaking => Volatile.Read(ref _handshaking);

    /// <summary>Decides on a connection from <paramref name="address"/> while
    /// <paramref name="openConnections"/> are open. An admitted one counts as in the handshake
    /// until <see cref="HandshakeEnded"/>.</summary>
    public AdmissionVerdict Admit(IPAddress address, int openConnections)
    {
        if (openConnections + Handshaking >= options.MaxConnections)
        {
            Interlocked.Increment(ref _refused);
            return AdmissionVerdict.ServerFull;
        }

        lock (_pendingByAddress)
        {
            var pending = _pendingByAddress.GetValueOrDefault(address);
            if (pending >= options.MaxPendingPerAddress)
            {
                Interlocked.Increment(ref _refused);
                return AdmissionVerdict.TooManyFromAddress;
            }

            _pendingByAddress[address] = pending + 1;
        }

        Interlocked.Increment(ref _handshaking);
        Interlocked.Increment(ref _accepted);
        return AdmissionVerdict.Admitted;
    }

    /// <summary>Admits the socket, or refuses it (told ServerBusy when the server is full and
    /// there is room to say so, otherwise closed) and returns false.</summary>
    public bool TryAdmit(Socket socket, IPEndPoint? remote, int openConnections, CancellationToken stopping)
    {
        var address = remote?.Address ?? IPAddress.None;
        var verdict = Admit(address, openConnections);
        switch (verdict)
        {
            case AdmissionVerdict.Admitted:
                return true;
            case AdmissionVerdict.ServerFull:
                metrics?.Refused(ErrorIds.ServerBusy);
                if (_refusals.Admit(log))
                {
                    log.RefusedBusy(remote?.ToString() ?? "", options.MaxConnections);
                }

                if (!busy.TryRefuse(socket, options.MaxConnections, stopping))
                {
                    socket.Dispose();
                }

                return false;
            default:
                metrics?.Refused(ErrorIds.TooManyConnections);
                if (_refusals.Admit(log))
                {
                    log.RefusedPerAddress(remote?.ToString() ?? "", options.MaxPendingPerAddress);
                }

                socket.Dispose();
                return false;
        }
    }

    /// <summary>The admitted connection from <paramref name="address"/> finished its greeting
    /// or failed before it: its place among the handshakes is free. Called once per admission.</summary>
    public void HandshakeEnded(IPAddress address)
    {
        Interlocked.Decrement(ref _handshaking);
        lock (_pendingByAddress)
        {
            if (_pendingByAddress.TryGetValue(address, out var pending) && pending > 1)
            {
                _pendingByAddress[address] = pending - 1;
            }
            else
            {
                _pendingByAddress.Remove(address);
            }
        }
    }

    /// <summary>Takes a place for a connection without a certificate from
    /// <paramref name="address"/>, or counts a refusal and gives the goodbye to say. One host
    /// gets a few places only, so it cannot hold every invitee's.</summary>
    public bool TryBeginEnrollment(IPAddress address, string remoteAddress, out Bye refusal)
    {
        refusal = null!;
        if (Interlocked.Increment(ref _enrolling) > options.MaxEnrollmentConnections)
        {
            Interlocked.Decrement(ref _enrolling);
            Interlocked.Increment(ref _refused);
            metrics?.Refused(ErrorIds.ServerBusy);
            log.EnrollmentBusy(remoteAddress, options.MaxEnrollmentConnections);
            refusal = new Bye(ErrorIds.ServerBusy, "Too many enrollments are in progress on this server; try again in a few seconds.");
            return false;
        }

        if (!_enrollingByAddress.TryTake(address, options.MaxEnrollmentConnectionsPerAddress))
        {
            Interlocked.Decrement(ref _enrolling);
            Interlocked.Increment(ref _refused);
            metrics?.Refused(ErrorIds.TooManyConnections);
            if (_refusals.Admit(log))
            {
                log.EnrollmentRefusedPerAddress(remoteAddress, options.MaxEnrollmentConnectionsPerAddress);
            }

            refusal = new Bye(ErrorIds.TooManyConnections,
                $"This address already has {options.MaxEnrollmentConnectionsPerAddress} enrollments in progress; finish or close one and try again.");
            return false;
        }

        return true;
    }

    /// <summary>An enrollment admitted by <see cref="TryBeginEnrollment"/> ended.</summary>
    public void EnrollmentEnded(IPAddress address)
    {
        Interlocked.Decrement(ref _enrolling);
        _enrollingByAddress.Release(address);
    }

    /// <summary>Takes a place for an authenticated connection of <paramref name="normalizedUser"/>
    /// from <paramref name="address"/>, or counts a refusal and gives the goodbye to say, so one
    /// user (or one host) cannot hold every place in <see cref="ChatServerOptions.MaxConnections"/>.</summary>
    public bool TryBeginSession(string normalizedUser, IPAddress address, string remoteAddress, out Bye refusal)
    {
        refusal = null!;
        if (!_sessionsByUser.TryTake(normalizedUser, options.MaxConnectionsPerUser))
        {
            Interlocked.Increment(ref _refused);
            metrics?.Refused(ErrorIds.TooManyConnections);
            if (_refusals.Admit(log))
            {
                log.SessionRefusedPerUser(normalizedUser, remoteAddress, options.MaxConnectionsPerUser);
            }

            refusal = new Bye(ErrorIds.TooManyConnections,
                $"This user already has {options.MaxConnectionsPerUser} connections open; close one (another device or session) and try again.");
            return false;
        }

        if (!_sessionsByAddress.TryTake(address, options.MaxConnectionsPerAddress))
        {
            _sessionsByUser.Release(normalizedUser);
            Interlocked.Increment(ref _refused);
            metrics?.Refused(ErrorIds.TooManyConnections);
            if (_refusals.Admit(log))
            {
                log.SessionRefusedPerAddress(normalizedUser, remoteAddress, options.MaxConnectionsPerAddress);
            }

            refusal = new Bye(ErrorIds.TooManyConnections,
                $"This address already has {options.MaxConnectionsPerAddress} connections open; close one and try again.");
            return false;
        }

        return true;
    }

    /// <summary>A connection admitted by <see cref="TryBeginSession"/> ended.</summary>
    public void SessionEnded(string normalizedUser, IPAddress address)
    {
        _sessionsByUser.Release(normalizedUser);
        _sessionsByAddress.Release(address);
    }

    /// <summary>Authenticated connections <paramref name="normalizedUser"/> holds.</summary>
    public int SessionsOf(string normalizedUser) => _sessionsByUser.Held(normalizedUser);
}
