using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Client;

/// <summary>What this device knows of revocations: CA-signed lists only, never older than one seen
/// before, kept with the session's state and in the profile (for the server certificate check).</summary>
internal sealed class RevocationTracker(ChatClient client, MemberVerifier verifier, Action changed, ILogger log, CancellationToken closing)
{
    private readonly Lock _gate = new();
    private BigInteger _crlNumber = -1;
    private TaskCompletionSource _newList = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>False while revocations from an older state file have no dates (see the pump).</summary>
    public bool Dated { get; private set; } = true;

    /// <summary>Completes when a list newer than any seen before has been accepted (whoever
    /// waits on something a revocation can end looks again then).</summary>
    public Task NextList => Volatile.Read(ref _newList).Task;

    /// <summary>Revoked at any date this device knows of.</summary>
    public bool IsRevoked(string serial) => verifier.IsRevoked(serial);

    public void Restore(SessionStateFile saved)
    {
        verifier.MarkRevoked(saved.Revoked.Where(s => !saved.RevokedAt.ContainsKey(s)));
        Dated = saved.Revoked.All(saved.RevokedAt.ContainsKey);
        verifier.MarkRevoked(saved.RevokedAt.Select(r => new RevokedSerial(r.Key, r.Value)));
        RememberInProfile([.. saved.Revoked, .. saved.RevokedAt.Keys]);
        if (BigInteger.TryParse(saved.CrlNumber, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            _crlNumber = number;
        }
    }

    public void SaveInto(SessionStateFile file)
    {
        lock (_gate)
        {
            file.CrlNumber = _crlNumber < 0 ? "" : _crlNumber.ToString(CultureInfo.InvariantCulture);
        }

        var revocations = verifier.Revocations;
        file.Revoked = revocations.Where(r => r.RevokedAt == DateTimeOffset.MinValue).Select(r => r.Serial).ToList();
        file.RevokedAt = revocations.Where(r => r.RevokedAt != DateTimeOffset.MinValue).ToDictionary(r => r.Serial, r => r.RevokedAt, StringComparer.OrdinalIgnoreCase);
    }

    // A list older than one already seen (in this session or, since the number is saved with the
    // state, any earlier one) could be a replay that hides a revocation: refused.
    public void Accept(byte[] der)
    {
        var (serials, number) = VerifiedUnderAnyRoot(der);
        bool newer;
        lock (_gate)
        {
            if (number < _crlNumber)
            {
                throw new CryptographicException($"The server sent revocation list {number}, older than {_crlNumber} seen before.");
            }

            newer = number > _crlNumber;
            _crlNumber = number;
        }

        verifier.MarkRevoked(serials);
        RememberInProfile(serials.Select(e => e.Serial));
        changed();
        if (newer)
        {
            Interlocked.Exchange(ref _newList, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>Fetches and accepts the newest list; any failure reaches the caller (a send that
    /// must not go before removals it would reveal).</summary>
    public async Task FetchAsync(CancellationToken cancellationToken)
    {
        // During a CA rollover's overlap the server sends each root's list; each names every
        // revocation of the CA, so the first one signed by a root this device pins is enough.
        var lists = await client.FetchRevocationListsAsync(cancellationToken).ConfigureAwait(false);
        CryptographicException? refused = null;
        foreach (var der in lists)
        {
            try
            {
                Accept(der);
                return;
            }
            catch (CryptographicException e)
            {
                // During an overlap one list may be signed by a root this device does not pin.
                CaRolloverLog.RevocationListNotVerified(log, e.Message);
                refused = e;
            }
        }

        throw refused ?? new CryptographicException("The server sent no revocation list.");
    }

    // Any live pinned root may have signed it (the newest first).
    private (IReadOnlyList<RevokedSerial> Entries, BigInteger Number) VerifiedUnderAnyRoot(byte[] der)
    {
        CryptographicException? refused = null;
        foreach (var root in client.PinnedRoots.Live())
        {
            try
            {
                return CrlReader.VerifiedEntries(der, root);
            }
            catch (CryptographicException e)
            {
                // Signed by another pinned root, perhaps: the next one is tried.
                CaRolloverLog.RevocationListNotVerified(log, e.Message);
                refused = e;
            }
        }

        throw refused ?? new CryptographicException("No pinned root is valid any more.");
    }

    // Before judging what depends on revocations, the newest list: asked for until it comes (the
    // events wait in order meanwhile), since judging without it could refuse what the others accept.
    public async Task LearnAsync()
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!closing.IsCancellationRequested && !await RefreshAsync().ConfigureAwait(false))
        {
            await Task.Delay(delay, closing).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }

        Dated = true; // what the list did not date stays revoked for all time
    }

    // One attempt; false when the list could not be had (offline, refused, or a server answering
    // nonsense). Nothing here may end the loop that calls it.
    public async Task<bool> RefreshAsync()
    {
        try
        {
            await FetchAsync(closing).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            SecureLog.RevocationsNotFetched(log, e.GetType().Name);
            return false;
        }
    }

    // The next connection checks the server's certificate against these before it says Hello.
    private void RememberInProfile(IEnumerable<string> serials)
    {
        try
        {
            client.Profile.RememberRevoked(serials);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Written again with the next list; the session's own state keeps the serials meanwhile.
            log.Failed(e, "secure.revocations.profile");
        }
    }
}
