using OpenChat.Engine.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

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
/// MaxEnrollmentConnections connections without a certificate. It counts what was accepted and
/// refused, and hands a full server's sockets to <see cref="BusyRefusal"/>.
/// </summary>
internal sealed class ConnectionAdmission(ChatServerOptions options, BusyRefusal busy, ILogger log)
{
    // A peer can cause this at will: its log lines are throttled, the refusals never are.
    private readonly LogThrottle _refusals = new("connection refusals");

    private readonly Dictionary<IPAddress, int> _pendingByAddress = [];
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

    /// <summary>Takes a place for a connection without a certificate, or counts a refusal.</summary>
    public bool TryBeginEnrollment(string remoteAddress)
    {
        if (Interlocked.Increment(ref _enrolling) > options.MaxEnrollmentConnections)
        {
            Interlocked.Decrement(ref _enrolling);
            Interlocked.Increment(ref _refused);
            log.EnrollmentBusy(remoteAddress, options.MaxEnrollmentConnections);
            return false;
        }

        return true;
    }

    public void EnrollmentEnded() => Interlocked.Decrement(ref _enrolling);
}
