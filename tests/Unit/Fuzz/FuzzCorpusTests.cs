using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Fuzz.Targets;

namespace OpenChat.Tests.Unit.Fuzz;

/// <summary>
/// The fuzz targets in the ordinary suite, without AFL: every committed seed of fuzz/corpus, and
/// every seed a target makes, goes through its target and gives a value or that target's declared
/// exception. A decoder change that makes a seed throw something else fails here first.
/// </summary>
public sealed class FuzzCorpusTests
{
    public static TheoryData<string> Targets => new(DecoderTargets.All.Select(t => t.Name));

    /// <summary>True when the input was accepted, false when it was refused as declared.</summary>
    private static bool ValueOrDeclared(DecoderTarget target, byte[] input, string what)
    {
        try
        {
            target.Run(input);
            return true;
        }
        catch (Exception e) when (!target.IsDeclared(e))
        {
            Assert.Fail($"{target.Name}, {what}: {e.GetType().Name}: {e.Message}");
            return false;
        }
        catch (Exception)
        {
            // Declared: the decoder refused the input, as it may.
            return false;
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_committed_seed_gives_a_value_or_the_declared_error(string name)
    {
        var target = DecoderTargets.All.Single(t => t.Name == name);
        var folder = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", name);
        var files = Directory.GetFiles(folder);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            _ = ValueOrDeclared(target, File.ReadAllBytes(file), Path.GetFileName(file));
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_a_target_makes_gives_a_value_or_the_declared_error_and_at_least_half_are_accepted(string name)
    {
        // Some seeds are refusals on purpose (a CSR for another name, a list signed by a
        // stranger), so the fuzzer starts next to those checks too; at least half must be accepted, or
        // the target would mostly be fuzzing its first check.
        var target = DecoderTargets.All.Single(t => t.Name == name);
        var seeds = target.AllSeeds().ToList();
        var accepted = 0;
        foreach (var (seed, i) in seeds.Select((s, i) => (s, i)))
        {
            if (ValueOrDeclared(target, seed, $"seed {i + 1}"))
            {
                accepted++;
            }
        }

        Assert.True(accepted > 0 && accepted * 2 >= seeds.Count, $"{name}: {accepted} of {seeds.Count} seeds accepted");
    }

    [Fact]
    public void The_fixture_seeds_pass_every_check_of_the_fixture_so_the_fuzzer_starts_past_them()
    {
        var verifier = new MemberVerifier(FuzzFixture.Ca);
        var packages = DecoderTargets.All.Single(t => t.Name == "key-packages").FixtureSeeds!().Select(b => KeyPackage.Parse(b)).ToList();
        Assert.NotEmpty(packages);
        foreach (var package in packages)
        {
            Assert.True(package.Verify(verifier, FuzzFixture.At, out var reason), reason);
        }

        Assert.Contains(packages, p => p.ParsedHandover is not null);
        foreach (var bytes in DecoderTargets.All.Single(t => t.Name == "handovers").FixtureSeeds!())
        {
            Assert.True(KeyHandover.Parse(bytes).Verify(verifier, FuzzFixture.AliceNext, out var reason), reason);
        }

        // And the fixture's list is the CA's: its entries are read.
        var lists = DecoderTargets.All.Single(t => t.Name == "crls").Seeds().ToList();
        Assert.Equal(2, CrlReader.VerifiedEntries(lists[1], FuzzFixture.Ca, FuzzFixture.Clock).Entries.Count);
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => CrlReader.VerifiedEntries(lists[2], FuzzFixture.Ca, FuzzFixture.Clock));
    }
}
