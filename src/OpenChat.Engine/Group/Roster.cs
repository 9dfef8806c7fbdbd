using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;

namespace OpenChat.Engine.Group;

/// <summary>
/// Who is in the room as this device knows it: the verified key packages it has seen (by
/// certificate serial), the members of the current epoch in commit order, and the members whose
/// user announced a departure. Serials and user names are compared without regard to case here
/// and only here (<see cref="SerialComparer"/>, <see cref="NameComparer"/>): a certificate's
/// serial is hex, which the server, the CA and the commit encoding may spell in either case.
/// </summary>
internal sealed class Roster
{
    public static readonly StringComparer SerialComparer = StringComparer.OrdinalIgnoreCase;

    public static readonly StringComparer NameComparer = StringComparer.OrdinalIgnoreCase;

    private readonly Dictionary<string, KeyPackage> _packages = new(SerialComparer);
    private readonly Dictionary<string, ECDsa> _signingKeys = new(SerialComparer);
    private List<string> _members = [];
    private HashSet<string> _memberSet = new(SerialComparer);
    // Devices (serials) whose user announced a departure while they were members.
    private readonly HashSet<string> _departed = new(SerialComparer);
    // Each member's current leaf key (a P-256 point): the agreement key of the package it was
    // added with, then the committer key of its latest format-2 commit. Commits wrap to it.
    private readonly Dictionary<string, byte[]> _leaves = new(SerialComparer);

    /// <summary>The members of the current epoch, in the order their commit lists them.</summary>
    public IReadOnlyList<string> Members => _members;

    public int Count => _members.Count;

    public IReadOnlyDictionary<string, KeyPackage> Packages => _packages;

    public IReadOnlyCollection<string> DepartedSerials => _departed;

    /// <summary>The members' user names (a member whose package is unknown shows as its serial).</summary>
    public IReadOnlyList<string> Names => _members.Select(NameOf).ToList();

    /// <summary>Members whose user announced a departure.</summary>
    public IReadOnlyList<string> DepartedMembers => _departed.Count == 0 ? [] : _members.Where(_departed.Contains).ToList();

    public static bool SameSerial(string a, string b) => SerialComparer.Equals(a, b);

    public static bool SameName(string a, string b) => NameComparer.Equals(a, b);

    public static HashSet<string> SerialSet(IEnumerable<string> serials) => new(serials, SerialComparer);

    /// <param name="leaves">The members' leaf keys; none in a state saved before the format-2 key
    /// schedule, where every member's leaf is its package's agreement key.</param>
    public static Roster Restore(IEnumerable<string> members, IEnumerable<string> departed, IEnumerable<KeyPackage> packages,
        IReadOnlyDictionary<string, byte[]>? leaves = null)
    {
        var roster = new Roster();
        foreach (var package in packages)
        {
            roster.Remember(package);
        }

        roster.SetMembers(members);
        roster._departed.UnionWith(departed);
        foreach (var serial in roster._members)
        {
            if (leaves is not null && leaves.TryGetValue(serial, out var leaf))
            {
                roster._leaves[serial] = leaf;
            }
            else if (roster._packages.TryGetValue(serial, out var package))
            {
                roster._leaves[serial] = package.AgreementKey;
            }
        }

        return roster;
    }

    /// <summary>Every member's current leaf key.</summary>
    public IReadOnlyDictionary<string, byte[]> Leaves => _leaves;

    /// <summary>The member's current leaf key; null for a serial that is not a member.</summary>
    public byte[]? LeafOf(string serial) => _leaves.GetValueOrDefault(serial);

    // Importing and validating a point costs about as much as the agreement itself, and a commit
    // of a room of 1,000 wraps to 999 leaves: each leaf is imported once, for as long as it is held.
    // (The public-key object is what is kept: making one from an imported key exports and imports it again.)
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], ECDiffieHellmanPublicKey> _leafPublics = [];

    /// <summary>The leaf key <paramref name="leaf"/> (as <see cref="LeafOf"/> returned it) imported and validated, once.</summary>
    public ECDiffieHellmanPublicKey LeafPublic(byte[] leaf) => _leafPublics.GetValue(leaf, static key =>
    {
        using var imported = KeyAgreement.ImportPublic(key);
        return imported.PublicKey;
    });

    public bool Contains(string serial) => _memberSet.Contains(serial);

    /// <summary>True when the current members are exactly <paramref name="serials"/> (in any order).</summary>
    public bool SameMembersAs(IReadOnlyCollection<string> serials) => serials.Count == _members.Count && _memberSet.SetEquals(serials);

    public bool HasPackage(string serial) => _packages.ContainsKey(serial);

    public bool TryGetPackage(string serial, out KeyPackage package) => _packages.TryGetValue(serial, out package!);

    public string NameOf(string serial) => _packages.TryGetValue(serial, out var package) ? package.UserName : serial;

    public bool IsDeparted(string serial) => _departed.Contains(serial);

    /// <summary>Keeps a verified package (a newer one of the same certificate replaces the old).</summary>
    public void Remember(KeyPackage package)
    {
        _packages[package.Serial] = package;
        _signingKeys.Remove(package.Serial);
    }

    public ECDsa SigningKeyOf(KeyPackage package)
    {
        if (!_signingKeys.TryGetValue(package.Serial, out var key))
        {
            key = package.LoadCertificate().GetECDsaPublicKey() ?? throw new CryptoException("The member's certificate has no ECDSA key.");
            _signingKeys[package.Serial] = key;
        }

        return key;
    }

    /// <summary>Marks every current member device of <paramref name="userName"/> departed.</summary>
    public void MarkDeparted(string userName) =>
        _departed.UnionWith(_members.Where(s => _packages.TryGetValue(s, out var p) && SameName(p.UserName, userName)));

    /// <summary>The members of a new epoch. A departed device stays departed until it is removed,
    /// or until it commits its own rejoin (<paramref name="rejoined"/>: only that device's key can
    /// sign one). Adding some other device of the same user name (a new device, or one the server
    /// minted as CA) changes nothing here.</summary>
    /// <param name="committer">Whose commit it is, and <paramref name="committerKey"/> its new leaf
    /// (empty in format 1: the committer keeps its leaf). An added member's leaf is its package key.</param>
    public void Advance(IReadOnlyList<string> members, string? rejoined, string? committer = null, byte[]? committerKey = null)
    {
        var added = members.Where(s => !_memberSet.Contains(s)).ToList();
        SetMembers(members);
        foreach (var serial in _leaves.Keys.Where(s => !_memberSet.Contains(s)).ToList())
        {
            _leaves.Remove(serial);
        }

        foreach (var serial in added)
        {
            if (_packages.TryGetValue(serial, out var package))
            {
                _leaves[serial] = package.AgreementKey;
            }
        }

        if (committer is not null && committerKey is { Length: > 0 } && _memberSet.Contains(committer))
        {
            _leaves[committer] = committerKey;
        }

        _departed.IntersectWith(_memberSet);
        if (rejoined is not null)
        {
            _departed.Remove(rejoined);
        }
    }

    private void SetMembers(IEnumerable<string> members)
    {
        _members = [.. members];
        _memberSet = SerialSet(_members);
    }
}
