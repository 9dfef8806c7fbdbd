// The profile's state files as a client reads them back at start: the plain state.json (read
// positions, the outbox, the nodes) and the end-to-end state once decrypted (Fernet under the
// identity key is covered by its vectors; what is fuzzed is what the decrypted JSON becomes).
using System.Text.Json;
using OpenChat.Engine.Client;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Group;
using OpenChat.Engine.Protocol;

namespace OpenChat.Fuzz.Targets;

internal static class StateTargets
{
    public static IEnumerable<DecoderTarget> All =>
    [
        new("profile-state", LoadProfileState, e => e is JsonException, ProfileStateSeeds),
        new("session-state", LoadSessionState, e => e is CryptoException, () => SessionStateSeeds(withKey: false), () => SessionStateSeeds(withKey: true)),
    ];

    // As ChatClient's constructor uses it.
    private static void LoadProfileState(byte[] data)
    {
        var state = ClientState.Read(data);
        var outbox = new Outbox(state.Outbox);
        var cursors = new RoomCursors(state.LastRead);
        var nodes = new NodeList("chat.example.org:7443", state.Nodes, only: false, leftOut: state.NodesLeftOut);
        _ = (outbox, cursors, nodes.Current);
    }

    // As SecureSession.ConnectAsync uses it: the file, its agreement key, then every room's group
    // restored under the device's identity (the fixture's alice).
    private static void LoadSessionState(byte[] data)
    {
        var saved = SessionStateFile.Read(data);
        using var agreement = saved.ImportAgreementKey();
        // Not disposed: that would dispose the fixture's signing key (the agreement key goes above).
        var identity = new GroupIdentity(FuzzFixture.Alice, FuzzFixture.AliceKey, agreement, FuzzFixture.At);
        var verifier = new MemberVerifier(FuzzFixture.Ca);
        foreach (var room in saved.Rooms.Values)
        {
            _ = GroupState.Import(room.Group, identity, verifier, FuzzFixture.Clock);
        }
    }

    private static IEnumerable<byte[]> ProfileStateSeeds()
    {
        var state = new ClientState
        {
            LastRead = new(StringComparer.Ordinal) { ["general"] = 41, ["ops"] = 7 },
            Outbox = [new OutboxEntry { Room = "general", MessageId = new Guid("6f1c0b5e-3d2a-4b19-8e7f-0a1b2c3d4e5f"), Kind = EventKind.Chat, Epoch = 3, Body = [1, 2, 3] }],
            Nodes = ["chat.example.org:7443", "[::1]:7444"],
            NodesLeftOut = new() { ["[::1]:7444"] = 1 },
        };
        return [JsonSerializer.SerializeToUtf8Bytes(state, ChatProfile.ProfileJson.Default.ClientState), "{}"u8.ToArray()];
    }

    // Committed without the agreement key (a private key, even a fixture's, is not committed):
    // those seeds stop at the key's check, the campaign's with it go on.
    private static IEnumerable<byte[]> SessionStateSeeds(bool withKey)
    {
        using var agreement = FuzzFixture.AgreementKey("OpenChat fuzz fixture: alice agreement");
        var state = new SessionStateFile
        {
            AgreementKey = withKey ? agreement.ExportPkcs8PrivateKey() : [],
            CrlNumber = "42",
            Revoked = ["7F01"],
            RevokedAt = new() { ["114F43"] = FuzzFixture.At.AddDays(-3) },
            Outbox = [new QueuedMessage { MessageId = new Guid("6f1c0b5e-3d2a-4b19-8e7f-0a1b2c3d4e5f"), Room = "general", Text = "hello", QueuedAt = FuzzFixture.At }],
            Rooms = new() { ["general"] = new SessionStateFile.RoomData { ProcessedThrough = 41, Group = new() { Room = "general", Epoch = 3, Members = ["114F43"] } } },
        };
        var undelivered = new SecureMessage("general", 42, "bob", "7F02", "hi", FuzzFixture.At, FuzzFixture.At, true, ContactTrust.Unverified, null, 3, false, 0);
        var withUndelivered = new SessionStateFile { AgreementKey = state.AgreementKey, Undelivered = [undelivered] };
        return [JsonSerializer.SerializeToUtf8Bytes(state, SessionJson.Default.SessionStateFile), JsonSerializer.SerializeToUtf8Bytes(withUndelivered, SessionJson.Default.SessionStateFile)];
    }
}
