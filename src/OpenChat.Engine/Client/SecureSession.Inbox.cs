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

/// <summary>Handing received messages to the application: by room when asked, the rest kept.</summary>
public sealed partial class SecureSession
{
    /// <summary>The next verified message (or refused event) of any entered room, or of the rooms
    /// <paramref name="filter"/> accepts; others stay queued (and saved) for a later call.</summary>
    public async ValueTask<SecureMessage> ReceiveAsync(CancellationToken cancellationToken = default, Func<SecureMessage, bool>? filter = null)
    {
        while (true)
        {
            lock (_gate)
            {
                var held = _held.FindIndex(m => filter is null || filter(m));
                if (held >= 0)
                {
                    var message = _held[held];
                    _held.RemoveAt(held);
                    DeliveredLocked(message);
                    return message;
                }
            }

            var next = await _inbox.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (SkipDroppedLocked(next))
                {
                    continue;
                }

                if (filter is null || filter(next))
                {
                    DeliveredLocked(next);
                    return next;
                }

                _held.Add(next);
            }
        }
    }

    /// <summary>The next waiting message (of the rooms <paramref name="filter"/> accepts), without
    /// blocking. Messages of other rooms are not taken: they stay queued, and saved, for a later
    /// call, Receive-ChatMessage or the next session.</summary>
    public bool TryReceive(out SecureMessage? message, Func<SecureMessage, bool>? filter = null)
    {
        lock (_gate)
        {
            while (_inbox.Reader.TryRead(out var next))
            {
                if (!SkipDroppedLocked(next))
                {
                    _held.Add(next);
                }
            }

            var index = _held.FindIndex(m => filter is null || filter(m));
            if (index >= 0)
            {
                message = _held[index];
                _held.RemoveAt(index);
                DeliveredLocked(message);
                return true;
            }
        }

        message = null;
        return false;
    }
}
