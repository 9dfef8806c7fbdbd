using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Group;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

public sealed partial class ChatProfile
{
    /// <summary>The handover from this device's previous key to its current one, written when the
    /// device moved to a new key (<c>Update-ChatIdentity -NewKey</c>) and published with its key
    /// package so contacts see "renewed its key". Public material only: no key is in it.</summary>
    public const string HandoverFile = "identity.handover";

    /// <summary>The handover to the current key, or null if the device never changed key (or the
    /// file is unreadable, which costs contacts a key-change warning, never a wrong acceptance:
    /// they verify whatever is published).</summary>
    public KeyHandover? LoadHandover(ILogger? log = null)
    {
        var path = System.IO.Path.Combine(Path, HandoverFile);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return KeyHandover.Parse(File.ReadAllBytes(path));
        }
        catch (Crypto.CryptoException e)
        {
            (log ?? NullLogger.Instance).Failed(e, "reading the profile's key handover");
            return null;
        }
    }

    internal void SaveHandover(KeyHandover handover) =>
        SecureFile.WriteAllBytes(System.IO.Path.Combine(Path, HandoverFile), handover.ToBytes(), overwrite: true);
}
