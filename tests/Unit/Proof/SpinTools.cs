namespace OpenChat.Tests.Unit.Proof;

/// <summary>
/// Whether spin, a C compiler and the C library's headers are on this machine, which the model checks need. xunit 2 has no
/// skip decided at run time, but an attribute's Skip is read when tests are discovered, so a check
/// made here shows as skipped in the runner's counts (and in the .trx build.ps1 reads). On CI
/// (CI=true) nothing is skipped: .ci/run installs both, and a missing one must fail the suite.
/// </summary>
internal static class SpinTools
{
    public static string? Missing { get; } = Find();

    public static bool OnCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string? Find()
    {
        var missing = new[] { "spin", "gcc" }.Where(tool => OnPath(tool) is null).ToList();
        // The verifier spin writes (pan.c) includes the C library's headers: gcc alone does not build it.
        if (!File.Exists("/usr/include/stdio.h"))
        {
            missing.Add("the C library's headers (libc6-dev)");
        }

        return missing.Count == 0 ? null : string.Join(" and ", missing);
    }

    public static string? OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);

    public static string? SkipReason => Missing is { } tools && !OnCi ? $"{tools} not installed (Debian: apt-get install spin gcc libc6-dev); CI=true makes this a failure" : null;
}
