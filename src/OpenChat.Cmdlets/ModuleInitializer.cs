using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace OpenChat.Cmdlets;

/// <summary>
/// PowerShell loads a binary module without its deps.json, so native libraries under
/// runtimes/&lt;rid&gt;/native (SQLite's) are never probed. This resolver finds them there.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string ModuleDirectory =
        Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? AppContext.BaseDirectory;

    public void OnImport() => AssemblyLoadContext.Default.ResolvingUnmanagedDll += ResolveNative;

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.ResolvingUnmanagedDll -= ResolveNative;

    private static IntPtr ResolveNative(Assembly assembly, string name)
    {
        foreach (var rid in CandidateRids())
        {
            foreach (var file in CandidateFiles(name))
            {
                var path = Path.Combine(ModuleDirectory, "runtimes", rid, "native", file);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle))
                {
                    return handle;
                }
            }
        }

        return IntPtr.Zero;
    }

    private static IEnumerable<string> CandidateRids()
    {
        yield return RuntimeInformation.RuntimeIdentifier;
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        if (OperatingSystem.IsWindows())
        {
            yield return "win-" + arch;
        }
        else if (OperatingSystem.IsMacOS())
        {
            yield return "osx-" + arch;
        }
        else
        {
            yield return (File.Exists("/etc/alpine-release") ? "linux-musl-" : "linux-") + arch;
        }
    }

    private static IEnumerable<string> CandidateFiles(string name)
    {
        if (OperatingSystem.IsWindows())
        {
            yield return name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? name : name + ".dll";
        }
        else
        {
            var extension = OperatingSystem.IsMacOS() ? ".dylib" : ".so";
            var bare = name.StartsWith("lib", StringComparison.Ordinal) ? name : "lib" + name;
            yield return bare.EndsWith(extension, StringComparison.Ordinal) ? bare : bare + extension;
        }
    }
}
