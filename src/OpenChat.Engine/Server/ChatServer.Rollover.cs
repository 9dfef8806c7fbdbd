using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Server;

/// <summary>The server's part in a CA rollover (see <see cref="CaRollover"/>): a rollover runs on
/// a stopped server's directory, under the server's lock; a server started afterwards serves its
/// certificate with the cross-certificate, accepts users under both roots while the previous one
/// is valid, publishes both roots' revocation lists, and offers every certified connection the
/// two roots with their proofs right after Welcome (clients connected at the rollover were cut off
/// by the stop and reconnect by themselves, so they learn the new root that way too).</summary>
public sealed partial class ChatServer
{
    /// <summary>Rolls the CA of the data directory at <paramref name="path"/> over; refused with
    /// <see cref="ErrorIds.ServerAlreadyRunning"/> while a server serves it (a running server would
    /// go on issuing under the old root and never offer the new one).</summary>
    public static CaRolloverResult RollOverCertificateAuthority(string path, ReadOnlySpan<char> password, ReadOnlySpan<char> newPassword, bool keepPassword,
        int validDays = CertificateAuthority.DefaultCaValidDays, TimeProvider? time = null, ICaStoreFactory? stores = null, ILogger? log = null)
    {
        var directory = new CaDirectory(path, stores);
        directory.EnsureExists();
        using var serverLock = TakeLock(directory);
        return CaRollover.Run(directory, password, newPassword, keepPassword, validDays, time ?? TimeProvider.System, log ?? NullLogger.Instance);
    }

    /// <summary>What Welcome and Enrolled name as the CA: the current root and, during an overlap,
    /// the previous root and the cross-certificate after it, so that an invite made before the
    /// rollover (it pins the previous root) still enrolls. Clients read the root their invite
    /// pins (older ones read the first).</summary>
    private static string RootsPem(CaDirectory directory, PreviousRoot? previous) =>
        previous is null
            ? directory.Certificate.ExportCertificatePem()
            : string.Join('\n', directory.Certificate.ExportCertificatePem(), previous.Certificate.ExportCertificatePem(), previous.Cross.ExportCertificatePem());

    // The previous root only while it is valid: after its expiry nothing under it verifies anyway.
    private static PreviousRoot? OpenPreviousRoot(CaDirectory directory, ChatServerOptions options)
    {
        var previous = PreviousRoot.Open(directory, options.CaPassword ?? "");
        if (previous is null || previous.IsValidAt(options.Time.GetUtcNow()))
        {
            return previous;
        }

        previous.Dispose();
        return null;
    }

    /// <summary>The roots a client may add to its pins, each with its proof; none outside an overlap.</summary>
    internal CaRoots? RootOffer()
    {
        if (_previousRoot is null || !_previousRoot.IsValidAt(_options.Time.GetUtcNow()))
        {
            return null;
        }

        return new CaRoots(
        [
            new RootOffer(_directory.Certificate.RawData, _previousRoot.Cross.RawData),
            new RootOffer(_previousRoot.Certificate.RawData, _previousRoot.ReverseCross.RawData),
        ]);
    }

    // Certified connections only: an enrollment connection reads exactly one answer, Enrolled.
    private void OfferRoots(ClientConnection connection)
    {
        if (connection.Identity is not null && RootOffer() is { } offer)
        {
            connection.Send(offer);
        }
    }
}
