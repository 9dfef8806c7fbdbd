using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Protocol;

namespace OpenChat.Bench;

/// <summary>
/// The end-to-end layer's costs on one core, next to OpenSSL's own speed for the primitives:
/// encrypt+sign and verify+decrypt per message, a commit's time and size as rooms grow, and
/// catching up on 10,000 missed messages.
/// </summary>
internal static partial class CryptoBench
{
    private const string Room = "bench";

    public static Task<int> RunAsync(BenchArgs args)
    {
        var messages = args.Int("messages", 20_000);
        using var ca = new BenchCa();
        var members = Members(ca, 2);
        var (alice, bob) = (members[0], members[1]);
        var log = new List<RoomEvent>();
        Feed(log, alice, EventKind.Key, alice.Identity.Package.ToBytes());
        Feed(log, bob, EventKind.Key, bob.Identity.Package.ToBytes());
        CatchUp(alice, log);
        // A create commit holds only its committer; Bob is then added, as the clients do it.
        var (create, created) = alice.State.CreateCommit(CommitReason.Create, []);
        Feed(log, alice, EventKind.Commit, create, created);
        CatchUp(alice, log);
        var (addBob, builtOn) = alice.State.CreateCommit(CommitReason.Add, [bob.Identity.Serial]);
        Feed(log, alice, EventKind.Commit, addBob, builtOn);
        CatchUp(alice, log);
        CatchUp(bob, log);

        var text = new byte[128];
        // Warm-up (not counted): the JIT compiles and tiers the whole path first, as it would have
        // in any client that has been running for a while.
        for (var i = 0; i < 2000; i++)
        {
            Feed(log, alice, EventKind.Chat, alice.State.Encrypt(text, ContentType.Text, DateTimeOffset.UtcNow), alice.State.ServerEpoch);
        }

        CatchUp(bob, log);
        // Sent and read in rounds of 500, as a conversation goes: a client keeps no backlog of
        // thousands of sent messages, and a benchmark that did would time the garbage collector
        // promoting it rather than the cryptography.
        // The signature alone is timed in the same rounds, interleaved, so that a machine whose
        // speed drifts during the run moves both figures alike and their difference is the
        // protocol's own work (ratchet, Fernet, envelope).
        var encryptClock = new Stopwatch();
        var decryptClock = new Stopwatch();
        var signClock = new Stopwatch();
        var bodies = new byte[500][];
        var signedSize = new byte[alice.State.Encrypt(text, ContentType.Text, DateTimeOffset.UtcNow).Length - 64];
        var round = new List<RoomEvent>(500);
        var sequence = (ulong)log.Count;
        for (var done = 0; done < messages; done += round.Count)
        {
            round.Clear();
            var count = Math.Min(500, messages - done);
            encryptClock.Start();
            for (var i = 0; i < count; i++)
            {
                bodies[i] = alice.State.Encrypt(text, ContentType.Text, DateTimeOffset.UtcNow);
            }

            encryptClock.Stop();
            signClock.Start();
            for (var i = 0; i < count; i++)
            {
                OpenChat.Engine.Crypto.Signatures.Sign(alice.Identity.SigningKey, signedSize);
            }

            signClock.Stop();
            for (var i = 0; i < count; i++)
            {
                round.Add(new RoomEvent(Room, ++sequence, Guid.NewGuid(), alice.Identity.UserName, alice.Identity.Serial, EventKind.Chat, alice.State.Epoch, DateTimeOffset.UtcNow, bodies[i]));
            }

            decryptClock.Start();
            foreach (var e in round)
            {
                if (bob.State.Process(e).Kind != GroupOutcomeKind.Message)
                {
                    throw new InvalidOperationException("a benchmark message did not verify");
                }
            }

            decryptClock.Stop();
        }

        var encrypt = encryptClock.Elapsed.TotalMicroseconds / messages;
        var decrypt = decryptClock.Elapsed.TotalMicroseconds / messages;
        var signOnly = signClock.Elapsed.TotalMicroseconds / messages;
        Console.WriteLine($"per message, 128-byte text, one core: encrypt+sign {encrypt:0.0} µs (target <= 40), verify+decrypt {decrypt:0.0} µs (target <= 90)");
        Console.WriteLine($"  in the same rounds, the ECDSA P-256 signature alone over as many bytes: {signOnly:0.0} µs; the protocol's work above it: {encrypt - signOnly:0.0} µs");
        PrimitiveCosts(alice.Identity.SigningKey, messages);
        OpenSslSpeed();

        // Catch-up: a member who was away reads 10,000 messages, each verified and decrypted.
        var catchUpCount = 10_000;
        var clock = new Stopwatch();
        var carol = Members(ca, 1, "away")[0];
        var late = new List<RoomEvent>(log);
        Feed(late, carol, EventKind.Key, carol.Identity.Package.ToBytes());
        CatchUp(alice, late);
        var (add, addEpoch) = alice.State.CreateCommit(CommitReason.Add, [bob.Identity.Serial, carol.Identity.Serial]);
        Feed(late, alice, EventKind.Commit, add, addEpoch);
        CatchUp(alice, late);
        CatchUp(carol, late);
        var missed = new List<RoomEvent>();
        for (var i = 0; i < catchUpCount; i++)
        {
            missed.Add(new RoomEvent(Room, (ulong)(late.Count + i + 1), Guid.NewGuid(), alice.Identity.UserName, alice.Identity.Serial, EventKind.Chat,
                alice.State.Epoch, DateTimeOffset.UtcNow, alice.State.Encrypt(text, ContentType.Text, DateTimeOffset.UtcNow)));
        }

        clock.Restart();
        foreach (var e in missed)
        {
            carol.State.Process(e);
        }

        Console.WriteLine($"catch-up of {missed.Count:N0} missed messages, verified and decrypted: {clock.Elapsed.TotalSeconds:0.00} s (target <= 2 s)");

        foreach (var size in new[] { 10, 100, 1000 })
        {
            var group = Members(ca, size, $"c{size}-");
            var room = new List<RoomEvent>();
            foreach (var m in group)
            {
                Feed(room, m, EventKind.Key, m.Identity.Package.ToBytes());
            }

            CatchUp(group[0], room);
            var (start, startedOn) = group[0].State.CreateCommit(CommitReason.Create, []);
            Feed(room, group[0], EventKind.Commit, start, startedOn);
            CatchUp(group[0], room);
            var others = group.Skip(1).Select(m => m.Identity.Serial).ToList();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            clock.Restart();
            var (body, addedOn) = group[0].State.CreateCommit(CommitReason.Add, others);
            var wall = clock.Elapsed.TotalMilliseconds;
            var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
            CatchUp(group[^1], room);
            Feed(room, group[0], EventKind.Commit, body, addedOn);
            clock.Restart();
            var applied = group[^1].State.Process(room[^1]);
            var apply = clock.Elapsed.TotalMilliseconds;
            if (applied.Kind != GroupOutcomeKind.Applied || !group[^1].State.IsMember)
            {
                throw new InvalidOperationException($"the commit did not apply: {applied.Reason}");
            }
            Console.WriteLine($"commit for a room of {size,4}: {wall,7:0.0} ms to build ({used:0} ms CPU), {body.Length / 1024.0,7:0.0} KB; a member applies it in {apply:0.0} ms (target <= 150 ms, <= 120 KB at 1000)");
        }

        MeasureCommit(ca, 1000, args.Int("runs", 9));

        return Task.FromResult(0);
    }

    // The same primitives through .NET alone, so the protocol's own overhead can be told apart
    // from the signature's cost on this machine.
    private static void PrimitiveCosts(ECDsa key, int count)
    {
        var data = new byte[300];
        var signature = OpenChat.Engine.Crypto.Signatures.Sign(key, data);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            OpenChat.Engine.Crypto.Signatures.Sign(key, data);
        }

        var sign = clock.Elapsed.TotalMicroseconds / count;
        clock.Restart();
        for (var i = 0; i < count; i++)
        {
            OpenChat.Engine.Crypto.Signatures.Verify(key, data, signature);
        }

        var verify = clock.Elapsed.TotalMicroseconds / count;
        var fernetKey = RandomNumberGenerator.GetBytes(32);
        var text = new byte[128];
        clock.Restart();
        for (var i = 0; i < count; i++)
        {
            OpenChat.Engine.Crypto.Fernet.Encrypt(fernetKey, text, DateTimeOffset.UtcNow, RandomNumberGenerator.GetBytes(16));
        }

        var fernet = clock.Elapsed.TotalMicroseconds / count;
        Console.WriteLine($".NET primitives alone: ECDSA P-256 sign {sign:0.0} µs, verify {verify:0.0} µs; Fernet encrypt of 128 bytes {fernet:0.0} µs");
    }

    private static void OpenSslSpeed()
    {
        foreach (var algorithm in new[] { "ecdsap256", "ecdhp256" })
        {
            var info = new ProcessStartInfo("openssl", $"speed -seconds 2 {algorithm}") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            var line = output.Split('\n').LastOrDefault(l => l.Contains("256 bits", StringComparison.Ordinal) && SpeedLine().IsMatch(l));
            Console.WriteLine($"openssl speed {algorithm}: {line?.Trim() ?? "(no figure)"}");
        }
    }

    [GeneratedRegex(@"\d")]
    private static partial Regex SpeedLine();

    private sealed record Member(GroupIdentity Identity, GroupState State);

    private static List<Member> Members(BenchCa ca, int count, string prefix = "m")
    {
        var verifier = new MemberVerifier(ca.CaCertificate);
        return ca.Users(prefix, count).Select(certificate =>
        {
            var identity = new GroupIdentity(certificate, certificate.GetECDsaPrivateKey()!, ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256), DateTimeOffset.UtcNow);
            return new Member(identity, new GroupState(Room, identity, verifier));
        }).ToList();
    }

    private static void Feed(List<RoomEvent> log, Member from, EventKind kind, byte[] body, ulong epoch = 0) =>
        log.Add(new RoomEvent(Room, (ulong)log.Count + 1, Guid.NewGuid(), from.Identity.UserName, from.Identity.Serial, kind, epoch, DateTimeOffset.UtcNow, body));

    private static readonly Dictionary<GroupState, int> Read = [];

    private static void CatchUp(Member member, List<RoomEvent> log)
    {
        var from = Read.GetValueOrDefault(member.State);
        for (var i = from; i < log.Count; i++)
        {
            member.State.Process(log[i]);
        }

        Read[member.State] = log.Count;
    }
}
