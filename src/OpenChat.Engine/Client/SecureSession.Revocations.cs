using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

/// <summary>What this device knows of revocations: CA-signed lists only, never older than one seen
/// before, kept with the session's state and in the profile (for the server certificate check).</summary>
public sealed partial class SecureSession
{
    // Before judging what depends on revocations, the newest list: asked for until it comes (the
    // events wait in order meanwhile), since judging without it could refuse what the others accept.
    private async Task LearnRevocationsAsync()
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!_closing.IsCancellationRequested && !await RefreshRevocationsAsync().ConfigureAwait(false))
        {
            await Task.Delay(delay, _closing.Token).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    private System.Numerics.BigInteger _crlNumber = -1;

    // A list older than one already seen (in this session or, since the number is saved with the
    // state, any earlier one) could be a replay that hides a revocation: refused.
    internal void AcceptRevocations(byte[] der)
    {
        var (serials, number) = CrlReader.VerifiedEntries(der, _client.PinnedCa);
        lock (_gate)
        {
            if (number < _crlNumber)
            {
                throw new CryptographicException($"The server sent revocation list {number}, older than {_crlNumber} seen before.");
            }

            _crlNumber = number;
        }

        _verifier.MarkRevoked(serials);
        RememberRevokedInProfile(serials.Select(e => e.Serial));
        Interlocked.Exchange(ref _dirty, 1);
    }

    // The next connection checks the server's certificate against these before it says Hello.
    private void RememberRevokedInProfile(IEnumerable<string> serials)
    {
        try
        {
            _client.Profile.RememberRevoked(serials);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Written again with the next list; the session's own state keeps the serials meanwhile.
            System.Diagnostics.Trace.TraceWarning($"OpenChat: cannot save revoked serials in '{_client.Profile.Path}': {e.Message}");
        }
    }

    // One attempt; false when the list could not be had (offline, refused, or a server answering
    // nonsense). Nothing here may end the loop that calls it.
    private async Task<bool> RefreshRevocationsAsync()
    {
        try
        {
            AcceptRevocations(await _client.FetchRevocationsAsync(_closing.Token).ConfigureAwait(false));
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            System.Diagnostics.Trace.TraceWarning($"OpenChat: the revocation list could not be fetched: {e.Message}");
            return false;
        }
    }
}
