using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

/// <summary>
/// The CA roots a profile trusts. Enrollment pins one (ca.crt.pem, kept as it was for older
/// versions); a CA rollover adds another, but only on a proof that a root already pinned
/// certified exactly its name and key (<see cref="RootProof"/>). All live roots are kept in
/// ca-roots.pem, which once written is the list; a root is dropped once it has expired (by the
/// client's clock). The server check, the member check, revocation lists and the session all ask
/// here, so "the pinned CA" means any live pinned root.
/// </summary>
public sealed class PinnedRoots
{
    public const string RootsFile = "ca-roots.pem";

    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private List<X509Certificate2> _roots;

    private PinnedRoots(string directory, List<X509Certificate2> roots, TimeProvider time, ILogger log)
    {
        _directory = directory;
        _roots = roots;
        _time = time;
        _log = log;
    }

    /// <summary>Raised (on the thread that changed them) with the live roots after a root was
    /// pinned or dropped; handlers must not throw.</summary>
    public event Action<IReadOnlyList<X509Certificate2>>? Changed;

    public static PinnedRoots Load(ChatProfile profile, TimeProvider time, ILogger log) => Load(profile.Path, time, log);

    /// <summary>The roots pinned in the profile directory <paramref name="directory"/>.</summary>
    internal static PinnedRoots Load(string directory, TimeProvider time, ILogger log)
    {
        var list = Path.Combine(directory, RootsFile);
        var roots = new List<X509Certificate2>();
        if (File.Exists(list))
        {
            var collection = new X509Certificate2Collection();
            collection.ImportFromPemFile(list);
            roots.AddRange(collection);
        }
        else
        {
            roots.Add(X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(directory, ChatProfile.CaFile))));
        }

        return new PinnedRoots(directory, roots, time, log);
    }

    /// <summary>Every root pinned, expired ones included until the next <see cref="Live"/>.</summary>
    public IReadOnlyList<X509Certificate2> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _roots];
            }
        }
    }

    /// <summary>The roots valid now, newest first; expired ones are dropped here for good.</summary>
    public IReadOnlyList<X509Certificate2> Live()
    {
        var now = _time.GetUtcNow();
        List<X509Certificate2> live;
        List<X509Certificate2> expired;
        lock (_gate)
        {
            expired = _roots.Where(r => now >= r.NotAfter.ToUniversalTime()).ToList();
            live = _roots.Except(expired).OrderByDescending(r => r.NotBefore).ToList();
            // The last root is kept even when expired: the profile must go on saying what it
            // pinned, and the connection refuses with PinnedCaExpired.
            if (expired.Count == 0 || live.Count == 0)
            {
                return live;
            }

            _roots = live;
            Save(live);
        }

        foreach (var root in expired)
        {
            CaRolloverLog.RootDropped(_log, root.Subject, new DateTimeOffset(root.NotAfter.ToUniversalTime()));
        }

        Changed?.Invoke(live);
        return live;
    }

    /// <summary>The live roots, or <see cref="ErrorIds.PinnedCaExpired"/> when every one has expired.</summary>
    public IReadOnlyList<X509Certificate2> RequireLive()
    {
        var live = Live();
        if (live.Count == 0)
        {
            var last = All.Max(r => r.NotAfter.ToUniversalTime());
            throw new OpenChatException(ErrorIds.PinnedCaExpired, ErrorKind.AuthenticationFailed,
                $"The CA this identity trusts expired on {last:u}, and the server offered no newer root while it was valid (this identity was not connected during the CA's rollover overlap). Ask the admin for a new invite and enroll again (Register-ChatUser -Invite).");
        }

        return live;
    }

    /// <summary>Pins each offered root whose proof verifies under a root pinned and live now
    /// (repeatedly, so the order of the offers does not matter); returns the roots pinned.</summary>
    public IReadOnlyList<X509Certificate2> Adopt(CaRoots offer)
    {
        var now = _time.GetUtcNow();
        var candidates = new List<(X509Certificate2 Root, X509Certificate2 Proof)>();
        foreach (var item in offer.Offers)
        {
            try
            {
                candidates.Add((X509CertificateLoader.LoadCertificate(item.Root), X509CertificateLoader.LoadCertificate(item.Proof)));
            }
            catch (CryptographicException e)
            {
                CaRolloverLog.RootRefused(_log, "(unreadable)", e.Message);
            }
        }

        var added = new List<X509Certificate2>();
        List<X509Certificate2> live;
        lock (_gate)
        {
            bool progress;
            do
            {
                progress = false;
                foreach (var (root, proof) in candidates.ToList())
                {
                    if (_roots.Any(r => r.RawData.AsSpan().SequenceEqual(root.RawData)))
                    {
                        candidates.Remove((root, proof));
                        continue;
                    }

                    var trusted = _roots.Where(r => now < r.NotAfter.ToUniversalTime()).ToList();
                    if (RootProof.Check(root, proof, trusted, now) is null)
                    {
                        _roots.Add(root);
                        added.Add(root);
                        candidates.Remove((root, proof));
                        progress = true;
                    }
                }
            }
            while (progress);

            if (added.Count > 0)
            {
                Save(_roots);
            }

            live = _roots.Where(r => now < r.NotAfter.ToUniversalTime()).ToList();
        }

        foreach (var (root, proof) in candidates)
        {
            CaRolloverLog.RootRefused(_log, root.Subject, RootProof.Check(root, proof, live, now) ?? "no pinned root vouches for it");
        }

        foreach (var root in added)
        {
            CaRolloverLog.RootPinned(_log, root.Subject, CaDirectory.FormatFingerprint(SHA256.HashData(root.RawData)));
        }

        if (added.Count > 0)
        {
            Changed?.Invoke(live);
        }

        return added;
    }

    // Called under the gate. A failed write keeps the roots in memory; the next change writes again.
    private void Save(IReadOnlyList<X509Certificate2> roots)
    {
        var pem = new StringBuilder();
        foreach (var root in roots)
        {
            pem.Append(root.ExportCertificatePem()).Append('\n');
        }

        try
        {
            SecureFile.WriteAllText(Path.Combine(_directory, RootsFile), pem.ToString(), overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Failed(e, "client.pinned-roots.save");
        }
    }
}
