using OpenChat.Fuzz.Targets;
using SharpFuzz;

namespace OpenChat.Fuzz;

/// <summary>The three ways to run a catalog entry: under afl-fuzz, to write its seeds, and to
/// replay files without AFL. All three use the catalog's own Run and IsDeclared, so what counts
/// as a declared refusal is decided in one place.</summary>
internal static class FuzzCommand
{
    private const string Usage = """
        usage: OpenChat.Fuzz list
               OpenChat.Fuzz run <target> [--in-process]
               OpenChat.Fuzz seeds <dir> [--with-fixture]
               OpenChat.Fuzz replay <target> <file or dir>...
        """;

    public static int Execute(string[] args, TextWriter output, TextWriter errors)
    {
        try
        {
            return args switch
            {
                ["list"] => List(output),
                ["run", var name] => RunUnderAfl(Find(name), inProcess: false),
                ["run", var name, "--in-process"] => RunUnderAfl(Find(name), inProcess: true),
                ["seeds", var dir] => WriteSeeds(dir, withFixture: false, output),
                ["seeds", var dir, "--with-fixture"] => WriteSeeds(dir, withFixture: true, output),
                ["replay", var name, .. var paths] when paths.Length > 0 => Replay(Find(name), paths, output, errors),
                _ => Fail(errors, Usage),
            };
        }
        catch (UnknownTargetException e)
        {
            return Fail(errors, e.Message);
        }
    }

    private static int List(TextWriter output)
    {
        foreach (var target in DecoderTargets.All)
        {
            output.WriteLine(target.Name);
        }

        return 0;
    }

    // A declared refusal is the parser doing its job, so it returns normally; anything else
    // escapes and SharpFuzz reports it to afl-fuzz as a crash. Out of process (the default) a
    // stack overflow or a timeout is reported for the one input instead of ending the campaign.
    private static int RunUnderAfl(DecoderTarget target, bool inProcess)
    {
        Action<Stream> once = stream =>
        {
            var input = ReadAll(stream);
            try
            {
                target.Run(input);
            }
            catch (Exception e) when (target.IsDeclared(e))
            {
            }
        };

        if (inProcess)
        {
            Fuzzer.Run(once);
        }
        else
        {
            Fuzzer.OutOfProcess.Run(once);
        }

        return 0;
    }

    // Without --with-fixture, what is committed under fuzz/corpus; with it, a campaign's
    // input, which also holds seeds carrying the fixture's certificates and keys.
    private static int WriteSeeds(string dir, bool withFixture, TextWriter output)
    {
        foreach (var target in DecoderTargets.All)
        {
            var folder = Path.Combine(dir, target.Name);
            Directory.CreateDirectory(folder);
            // Seeds of an earlier run are replaced, not mixed with, so the folder is exactly
            // what the catalog produces today.
            foreach (var old in Directory.EnumerateFiles(folder, "seed-*"))
            {
                File.Delete(old);
            }

            var count = 0;
            foreach (var seed in withFixture ? target.AllSeeds() : target.Seeds())
            {
                count++;
                File.WriteAllBytes(Path.Combine(folder, $"seed-{count}"), seed);
            }

            output.WriteLine($"{target.Name}: {count} seeds");
        }

        return 0;
    }

    private static int Replay(DecoderTarget target, string[] paths, TextWriter output, TextWriter errors)
    {
        var files = paths.SelectMany<string, string>(p => Directory.Exists(p)
            ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            : [p]).ToList();
        int accepted = 0, declared = 0, undeclared = 0;
        foreach (var file in files)
        {
            switch (ReplayOutcome.Of(target, File.ReadAllBytes(file)))
            {
                case { Undeclared: { } e }:
                    undeclared++;
                    errors.WriteLine($"UNDECLARED {file}: {e.GetType().FullName}: {e.Message}");
                    errors.WriteLine(e.StackTrace);
                    break;
                case { Declared: true }:
                    declared++;
                    break;
                default:
                    accepted++;
                    break;
            }
        }

        output.WriteLine($"{target.Name}: {files.Count} files, {accepted} accepted, {declared} declared refusals, {undeclared} undeclared exceptions");
        return undeclared == 0 ? 0 : 1;
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static DecoderTarget Find(string name) =>
        DecoderTargets.All.FirstOrDefault(t => t.Name == name)
        ?? throw new UnknownTargetException($"No target named '{name}'; known: {string.Join(", ", DecoderTargets.All.Select(t => t.Name))}");

    private static int Fail(TextWriter errors, string message)
    {
        errors.WriteLine(message);
        return 2;
    }

    private sealed class UnknownTargetException(string message) : Exception(message);
}
