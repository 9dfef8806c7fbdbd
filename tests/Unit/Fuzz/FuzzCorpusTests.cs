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

    private static void ValueOrDeclared(DecoderTarget target, byte[] input, string what)
    {
        try
        {
            target.Run(input);
        }
        catch (Exception e) when (!target.IsDeclared(e))
        {
            Assert.Fail($"{target.Name}, {what}: {e.GetType().Name}: {e.Message}");
        }
        catch (Exception)
        {
            // Declared: the decoder refused the input, as it may.
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
            ValueOrDeclared(target, File.ReadAllBytes(file), Path.GetFileName(file));
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_a_target_makes_is_read_without_a_refusal(string name)
    {
        var target = DecoderTargets.All.Single(t => t.Name == name);
        foreach (var seed in target.Seeds())
        {
            target.Run(seed);
        }
    }
}
