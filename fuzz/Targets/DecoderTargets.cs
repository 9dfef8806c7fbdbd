// The decoders fuzzed, each with what it may throw (anything else is a finding) and its seeds.
// Linked into the fuzz harness and the unit tests, so both judge an input the same way. Every
// parser that reads bytes from someone else has an entry: the wire (frames, messages), what
// members put in events (envelopes, commits, key packages, handovers, attachments, file chunks),
// what the CA reads (invites, CSRs) and the client checks (CRLs), and the profile's state files.
namespace OpenChat.Fuzz.Targets;

/// <param name="Seeds">Valid inputs written by the engine's encoders; committed under fuzz/corpus.</param>
/// <param name="FixtureSeeds">Further seeds that carry a certificate or key of <see cref="FuzzFixture"/>:
/// written for a campaign (`seeds DIR --with-fixture`), never committed.</param>
public sealed record DecoderTarget(string Name, Action<byte[]> Run, Func<Exception, bool> IsDeclared, Func<IEnumerable<byte[]>> Seeds,
    Func<IEnumerable<byte[]>>? FixtureSeeds = null)
{
    public IEnumerable<byte[]> AllSeeds() => [.. Seeds(), .. FixtureSeeds?.Invoke() ?? []];
}

public static class DecoderTargets
{
    public static IReadOnlyList<DecoderTarget> All { get; } =
    [
        .. ProtocolTargets.All,
        .. GroupTargets.All,
        .. FileTargets.All,
        .. PkiTargets.All,
        .. StateTargets.All,
    ];
}
