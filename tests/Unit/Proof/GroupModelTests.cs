using System.Diagnostics;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Proof;

/// <summary>
/// The Promela model of the commit and epoch protocol (models/group-v2.pml, described in
/// models/README.md), checked with spin: the model as the design has it has no reachable state
/// that breaks a property, and each mutation switch, which leaves out one defence, is reported as
/// a violation of the property that defence holds up (so no property is one that cannot fail).
/// </summary>
public sealed class GroupModelTests
{
    [SpinFact]
    public void The_commit_protocol_model_has_no_reachable_state_that_breaks_a_property()
    {
        var output = Check();
        Assert.Contains("errors: 0", output, StringComparison.Ordinal);
        Assert.Contains("assertion violations\t+", output, StringComparison.Ordinal);
        // A search cut short by its depth bound would say errors: 0 without having looked everywhere.
        Assert.DoesNotContain("max search depth too small", output, StringComparison.Ordinal);
    }

    [SpinTheory]
    [InlineData("BUG_WRAP_TO_REMOVED", "assertion violated (cm[j].key!=v[h].ekey)")]
    [InlineData("BUG_UNBOUND_EPOCH", "assertion violated  !((((v[")]
    [InlineData("BUG_NO_PARENT_CHECK", "assertion violated  !((((v[")]
    [InlineData("BUG_NO_ADMIN_CHECK", "assertion violated ( !(v[h].priv)")]
    public void A_model_without_one_defence_is_reported_as_breaking_its_property(string mutation, string violation)
    {
        var output = Check(mutation);
        Assert.Contains("errors: 1", output, StringComparison.Ordinal);
        Assert.Contains(violation, output, StringComparison.Ordinal);
    }

    private static string Check(params string[] defines)
    {
        Assert.True(SpinTools.Missing is null, $"{SpinTools.Missing} not installed, and CI=true: .ci/run installs them");
        using var work = new TempDirectory();
        Directory.CreateDirectory(work.Path);
        File.Copy(ModelPath(), work.Combine("group-v2.pml"));
        Run(work.Path, "spin", TimeSpan.FromSeconds(60), [.. defines.Select(d => $"-D{d}"), "-a", "group-v2.pml"]);
        Run(work.Path, "gcc", TimeSpan.FromSeconds(120), ["-O2", "-DSAFETY", "-DNOREDUCE", "-w", "-o", "pan", "pan.c"]);
        // -m: the search depth bound, well above the model's deepest path (under 200 steps).
        return Run(work.Path, Path.Combine(work.Path, "pan"), TimeSpan.FromSeconds(150), ["-m100000"], exitCodeMatters: false);
    }

    private static string Run(string folder, string command, TimeSpan limit, string[] arguments, bool exitCodeMatters = true)
    {
        var info = new ProcessStartInfo(command)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{command} did not finish within {limit.TotalSeconds:0} s");
        }

        process.WaitForExit();
        var output = stdout.Result + stderr.Result;
        Assert.True(!exitCodeMatters || process.ExitCode == 0, $"{command} failed ({process.ExitCode}): {output}");
        return output;
    }

    // tests/Unit/bin/<configuration>/<framework> -> models/group-v2.pml at the repository's root
    private static string ModelPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var model = Path.Combine(dir.FullName, "models", "group-v2.pml");
            if (File.Exists(model))
            {
                return model;
            }
        }

        throw new FileNotFoundException("models/group-v2.pml was not found above the test assembly.");
    }
}
