using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace OpenChat.Tests.Unit.Support;

/// <summary>An in-process PowerShell with the OpenChat cmdlets imported, the way PSReadLine
/// tests its own: no child process, real parameter binding and error records.</summary>
public sealed class Shell : IDisposable
{
    private readonly Runspace _runspace;

    /// <param name="host">The host the cmdlets see (its UI is what they prompt through); none: the default, which cannot prompt.</param>
    public Shell(System.Management.Automation.Host.PSHost? host = null)
    {
        var state = InitialSessionState.CreateDefault2();
        _runspace = host is null ? RunspaceFactory.CreateRunspace(state) : RunspaceFactory.CreateRunspace(host, state);
        _runspace.Open();
        Run("Import-Module -Assembly $args[0]", typeof(OpenChat.Cmdlets.ChatCmdlet).Assembly);
    }

    public sealed record Result(IReadOnlyList<PSObject> Output, IReadOnlyList<ErrorRecord> Errors)
    {
        public IReadOnlyList<string> Verbose { get; init; } = [];

        public IReadOnlyList<string> Debug { get; init; } = [];
    }

    /// <summary>Runs a script; terminating errors come back in <see cref="Result.Errors"/> too.</summary>
    public Result Run(string script, params object[] args)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        foreach (var arg in args)
        {
            ps.AddArgument(arg);
        }

        var errors = new List<ErrorRecord>();
        Collection<PSObject> output;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException e)
        {
            output = [];
            errors.Add(e.ErrorRecord);
        }

        errors.AddRange(ps.Streams.Error);
        return new Result(output, errors)
        {
            Verbose = [.. ps.Streams.Verbose.Select(r => r.Message)],
            Debug = [.. ps.Streams.Debug.Select(r => r.Message)],
        };
    }

    public void Dispose() => _runspace.Dispose();
}
