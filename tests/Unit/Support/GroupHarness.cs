using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Tests.Unit.Support;

/// <summary>
/// Group members without a network: a fake server that orders events into a room sequence and,
/// when a test wants, misbehaves (drops, replays, reorders, rewrites). Each member's state is
/// driven only by what the "server" hands it, exactly like a real client.
/// </summary>
public sealed class GroupHarness : IDisposable
{
    private readonly Ca _ca;
    private readonly List<Member> _members = [];
    private ulong _epoch;

    /// <param name="time">The server's and CA's clock. It starts at the real time unless a test
    /// gives its own, and every stored event moves it on by a second, so that no two events (or an
    /// event and a revocation) share the second a revocation list can tell apart.</param>
    public GroupHarness(string room = "ops", ManualTime? time = null)
    {
        Room = room;
        Time = time ?? new ManualTime(DateTimeOffset.UtcNow);
        _ca = new Ca(Time);
        Verifier = new MemberVerifier(_ca.Directory.Certificate);
    }

    public ManualTime Time { get; }

    public string Room { get; }

    /// <summary>The usual start: alice creates the room's group, bob joins it by himself.</summary>
    public static (GroupHarness H, Member Alice, Member Bob) TwoMembers(string room = "ops")
    {
        var h = new GroupHarness(room);
        var alice = h.Add("alice");
        var bob = h.Add("bob");
        alice.Publish();
        alice.Commit(CommitReason.Create);
        bob.Publish();
        bob.Join();
        alice.CatchUp();
        return (h, alice, bob);
    }

    public MemberVerifier Verifier { get; }

    /// <summary>Every event the server has stored, in sequence order.</summary>
    public List<RoomEvent> Log { get; } = [];

    public CertificateAuthority Authority => _ca.Authority;

    public CertificateRegistry Registry => _ca.Registry;

    /// <param name="clockOffset">How far this device's clock is from the server's.</param>
    public Member Add(string user, int validDays = CertificateAuthority.DefaultClientValidDays, TimeSpan clockOffset = default)
    {
        var issued = _ca.Authority.IssueClient(user, validDays, additionalDevice: true).Certificate;
        var signing = issued.GetECDsaPrivateKey()!;
        var clock = new OffsetTime(Time, clockOffset);
        var identity = new GroupIdentity(issued, signing, ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256), clock.GetUtcNow());
        var verifier = new MemberVerifier(_ca.Directory.Certificate);
        var member = new Member(this, identity, new GroupState(Room, identity, verifier, clock), verifier);
        _members.Add(member);
        if (Registry.Find().Any(r => r.RevokedAt is not null))
        {
            // A new device learns the list when it first connects, as a real client does.
            TeachRevocations();
        }

        return member;
    }

    /// <summary>A new device that publishes its key package and founds the room's group.</summary>
    public Member Found(string user, int validDays = CertificateAuthority.DefaultClientValidDays)
    {
        var member = Add(user, validDays);
        member.Publish();
        member.Commit(CommitReason.Create);
        return member;
    }

    /// <summary>A new device that publishes its key package and commits its own join.</summary>
    public Member AddJoined(string user, int validDays = CertificateAuthority.DefaultClientValidDays, TimeSpan clockOffset = default)
    {
        var member = Add(user, validDays, clockOffset);
        member.Publish();
        member.Join();
        return member;
    }

    /// <summary>Stores an event the way the server does: next sequence, commit epochs ordered.</summary>
    public RoomEvent Store(Member from, EventKind kind, byte[] body, ulong builtOnEpoch = 0)
    {
        if (kind == EventKind.Commit)
        {
            if (builtOnEpoch != _epoch)
            {
                throw new InvalidOperationException("stale commit (the server would refuse it)");
            }

            _epoch++;
        }

        Time.Advance(TimeSpan.FromSeconds(1));
        var e = new RoomEvent(Room, (ulong)Log.Count + 1, Guid.NewGuid(), from.Identity.UserName, from.Identity.Serial, kind,
            kind == EventKind.Commit ? builtOnEpoch : _epoch, Time.GetUtcNow(), body);
        Log.Add(e);
        return e;
    }

    /// <summary>The CA renews <paramref name="member"/>'s certificate (a new serial): with its key,
    /// or with <paramref name="newKey"/> and, when <paramref name="handover"/>, a handover signed by
    /// the previous key. The same agreement key; nothing is published or switched yet.</summary>
    public GroupIdentity Renewal(Member member, ECDsa? newKey = null, bool handover = true, X509Certificate2? handoverFrom = null, ECDsa? handoverKey = null)
    {
        var key = newKey ?? member.Identity.SigningKey;
        var csr = new CertificateRequest($"CN={member.Identity.UserName}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        var renewed = _ca.Authority.SignRequest(csr, member.Identity.UserName, additionalDevice: true).Certificate;
        var given = newKey is not null && handover
            ? KeyHandover.Create(handoverFrom ?? member.Identity.Certificate, handoverKey ?? member.Identity.SigningKey, newKey, Time.GetUtcNow())
            : null;
        return member.Identity.Renewed(renewed, key, Time.GetUtcNow(), given);
    }

    /// <summary>What a dishonest CA (the server) can do: a certificate with any name and serial.</summary>
    public Member Forge(string user, string serialHex)
    {
        using var caKey = CaKeyFile.Import(File.ReadAllText(_ca.Directory.KeyPath), "");
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={user}", key, HashAlgorithmName.SHA256);
        CertificateProfile.ApplyClient(request, _ca.Directory.Certificate);
        var now = DateTimeOffset.UtcNow;
        using var signed = request.Create(_ca.Directory.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddMinutes(-1), now.AddDays(1), Convert.FromHexString(serialHex));
        var certificate = signed.CopyWithPrivateKey(key);
        var identity = new GroupIdentity(certificate, key, ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256), now);
        var verifier = new MemberVerifier(_ca.Directory.Certificate);
        return new Member(this, identity, new GroupState(Room, identity, verifier), verifier);
    }

    /// <summary>The admin revokes these devices now; every member's client then learns the CA's
    /// signed list (with its dates), as a real client does before it sends or judges a removal.</summary>
    public void Revoke(params Member[] members)
    {
        Time.Advance(TimeSpan.FromSeconds(1));
        foreach (var member in members)
        {
            Registry.Revoke(member.Identity.Serial);
        }

        Time.Advance(TimeSpan.FromSeconds(1));
        TeachRevocations();
    }

    /// <summary>Hands the CA's current revocation list to every member's client.</summary>
    public void TeachRevocations()
    {
        var list = _ca.Authority.CreateRevocationList(TimeSpan.FromDays(7));
        var entries = CrlReader.VerifiedEntries(list.Der, _ca.Directory.Certificate).Entries;
        foreach (var member in _members)
        {
            member.Verifier.MarkRevoked(entries);
        }
    }

    public void Dispose() => _ca.Dispose();

    /// <summary>A device clock that runs with the server's but is off by a fixed amount.</summary>
    private sealed class OffsetTime(TimeProvider server, TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => server.GetUtcNow() + offset;
    }

    public sealed class Member(GroupHarness harness, GroupIdentity identity, GroupState state, MemberVerifier verifier)
    {
        private int _read;

        /// <summary>What this member's client believes about revocations (it learns them from the CRL).</summary>
        public MemberVerifier Verifier { get; } = verifier;

        public GroupIdentity Identity { get; private set; } = identity;

        /// <summary>This device goes on under its renewed certificate (see <see cref="Renewal"/>).</summary>
        public void SwitchTo(GroupIdentity renewed)
        {
            Identity = renewed;
            State.SwitchIdentity(renewed);
        }

        /// <summary>Publishes the renewed package and commits the renewal of this device's place.</summary>
        public void Renew()
        {
            CatchUp();
            Publish();
            CatchUp();
            var (body, epoch) = State.CreateRenewCommit();
            harness.Store(this, EventKind.Commit, body, epoch);
            CatchUp();
        }

        public GroupState State { get; private set; } = state;

        /// <summary>This device goes on from <paramref name="next"/> (a state it saved, as after a restart).</summary>
        public void Restart(GroupState next) => State = next;

        public List<GroupOutcome> Outcomes { get; } = [];

        public void Publish() => harness.Store(this, EventKind.Key, Identity.Package.ToBytes());

        public void Commit(CommitReason reason, params Member[] members) => CommitSerials(reason, members.Select(m => m.Identity.Serial));

        /// <summary>A commit of the current members plus <paramref name="added"/>, minus <paramref name="removed"/>.</summary>
        public void Change(CommitReason reason, Member[]? added = null, Member[]? removed = null)
        {
            CatchUp();
            var serials = State.MemberSerials
                .Concat((added ?? []).Select(m => m.Identity.Serial))
                .Except((removed ?? []).Select(m => m.Identity.Serial), StringComparer.OrdinalIgnoreCase);
            CommitSerials(reason, serials);
        }

        public void Join() => Change(CommitReason.Join);

        private void CommitSerials(CommitReason reason, IEnumerable<string> serials)
        {
            CatchUp();
            var (body, epoch) = State.CreateCommit(reason, serials.ToList());
            harness.Store(this, EventKind.Commit, body, epoch);
            CatchUp();
        }

        public RoomEvent Send(string text)
        {
            CatchUp();
            return harness.Store(this, EventKind.Chat, State.Encrypt(Encoding.UTF8.GetBytes(text), ContentType.Text, DateTimeOffset.UtcNow));
        }

        /// <summary>Announces that this member's user leaves the room (signed, in the current epoch).</summary>
        public RoomEvent Depart()
        {
            CatchUp();
            return harness.Store(this, EventKind.Chat, State.Encrypt([], ContentType.Departure, DateTimeOffset.UtcNow));
        }

        /// <summary>Processes every stored event not seen yet.</summary>
        public List<GroupOutcome> CatchUp()
        {
            var fresh = new List<GroupOutcome>();
            while (_read < harness.Log.Count)
            {
                fresh.Add(Deliver(harness.Log[_read++]));
            }

            return fresh;
        }

        /// <summary>Hands one event to this member directly (for a misbehaving server).</summary>
        public GroupOutcome Deliver(RoomEvent e)
        {
            var outcome = State.Process(e);
            Outcomes.Add(outcome);
            return outcome;
        }

        /// <summary>Marks everything stored so far as seen without processing it.</summary>
        public void SkipTo(int index) => _read = index;

        public List<string> Texts => Outcomes.Where(o => o.Kind == GroupOutcomeKind.Message).Select(o => Encoding.UTF8.GetString(o.Message!.Content)).ToList();
    }
}
