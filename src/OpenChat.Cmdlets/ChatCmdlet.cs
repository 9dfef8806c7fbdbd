using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using OpenChat.Engine;

namespace OpenChat.Cmdlets;

/// <summary>What every OpenChat cmdlet shares: resolving paths the PowerShell way and turning
/// engine failures into ErrorRecords with stable ids.</summary>
public abstract class ChatCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Cancelled when the user presses Ctrl+C (StopProcessing).</summary>
    protected CancellationToken CancelToken => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    public virtual void Dispose() => _stopping.Dispose();

    /// <summary>Runs engine work to completion on this (the pipeline) thread, cancellable by Ctrl+C.</summary>
    protected T Await<T>(Func<CancellationToken, Task<T>> work) => work(CancelToken).GetAwaiter().GetResult();

    protected void Await(Func<CancellationToken, Task> work) => work(CancelToken).GetAwaiter().GetResult();

    /// <summary>Runs a room entry, showing progress while a long history is verified and decrypted.
    /// Progress is written here, on the pipeline thread, never from the background.</summary>
    protected T AwaitCatchingUp<T>(Engine.Client.SecureSession secure, string room, Func<CancellationToken, Task<T>> work)
    {
        var task = work(CancelToken);
        var shown = false;
        while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(200))
        {
            var (done, total) = secure.CatchUpStatus(room);
            if (total > done && total - done > 100)
            {
                WriteProgress(new ProgressRecord(2, $"Catching up on {room}", $"{done:N0} of {total:N0} events verified")
                {
                    PercentComplete = (int)Math.Min(99, done * 100 / Math.Max(1, total)),
                });
                shown = true;
            }
        }

        if (shown)
        {
            WriteProgress(new ProgressRecord(2, $"Catching up on {room}", "Done") { RecordType = ProgressRecordType.Completed });
        }

        return task.GetAwaiter().GetResult();
    }

    /// <summary>A PowerShell path (relative to the current location, ~ expanded) as a file system path.</summary>
    protected string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>A server's data directory: -Path when given, else that of the one server running
    /// in this session (an admin who just started it should not have to say it again).</summary>
    protected string ResolveDataPath(string? path)
    {
        if (!string.IsNullOrEmpty(path))
        {
            return ResolvePath(path);
        }

        var running = ServerRegistry.All();
        return running.Count switch
        {
            1 => running[0].Path,
            0 => throw new OpenChatException(ErrorIds.DataPathRequired, ErrorKind.InvalidArgument,
                "No chat server runs in this session: name its data directory with -Path (for example -Path ./chat)."),
            _ => throw new OpenChatException(ErrorIds.DataPathRequired, ErrorKind.InvalidArgument,
                $"{running.Count} chat servers run in this session ({string.Join(", ", running.Select(s => s.Path))}): name one with -Path."),
        };
    }

    /// <summary>An -Identity value: a profile directory (resolved against PowerShell's location)
    /// when it looks like a path, otherwise a name left for the profile lookup.</summary>
    protected string? ResolveIdentity(string? identity) =>
        identity is not null && (identity.Contains('/') || identity.Contains('\\') || identity.StartsWith('.')) ? ResolvePath(identity) : identity;

    protected static ErrorRecord ToErrorRecord(Exception exception, object? target)
    {
        exception = MissingRoomText.WithCreateHint(exception, target, MissingRoomText.NewChatRoom);
        var record = exception switch
        {
            OpenChatException e => new ErrorRecord(e, e.ErrorId, Category(e.Kind), target),
            UnauthorizedAccessException e => new ErrorRecord(e, "FileAccessDenied", ErrorCategory.PermissionDenied, target),
            PathTooLongException e => new ErrorRecord(e, "PathInvalid", ErrorCategory.InvalidArgument, target),
            IOException e => new ErrorRecord(e, "FileSystemError", ErrorCategory.WriteError, target),
            CryptographicException e => new ErrorRecord(e, "CryptographicFailure", ErrorCategory.SecurityError, target),
            Engine.Protocol.ProtocolException e => new ErrorRecord(e, ErrorIds.ProtocolViolation, ErrorCategory.ProtocolError, target),
            _ => new ErrorRecord(exception, "UnexpectedError", ErrorCategory.NotSpecified, target),
        };

        // An error's text can quote a server's or another user's words (a refusal, a name): what
        // the terminal shows is neutralised; the exception keeps the exact text.
        if (!TerminalText.IsSafe(exception.Message))
        {
            record.ErrorDetails = new ErrorDetails(TerminalText.Neutralise(exception.Message));
        }

        return record;
    }

    /// <summary>Writes what the engine logged off the pipeline thread: warnings and worse as
    /// Write-Verbose, the rest as Write-Debug. Call on the pipeline thread only.</summary>
    internal void WriteDeferred(Diagnostics.DeferredLogger log)
    {
        foreach (var (level, text) in log.Take())
        {
            if (level >= Microsoft.Extensions.Logging.LogLevel.Warning)
            {
                WriteVerbose(text);
            }
            else
            {
                WriteDebug(text);
            }
        }
    }

    /// <summary>True for failures that describe one input rather than the command as a whole,
    /// so a pipeline can go on with the next input.</summary>
    protected static bool IsPerInput(Exception exception) =>
        exception is OpenChatException or IOException or UnauthorizedAccessException or CryptographicException or Engine.Protocol.ProtocolException;

    /// <summary>Characters of a SecureString as a heap copy for engine calls that keep it briefly;
    /// callers clear it when done.</summary>
    protected static char[] PasswordChars(SecureString? password) => WithPassword(password, chars => chars.ToArray());

    protected void WriteFailure(Exception exception, object? target) => WriteError(ToErrorRecord(exception, target));

    protected void ThrowFailure(Exception exception, object? target) => ThrowTerminatingError(ToErrorRecord(exception, target));

    protected static ErrorCategory Category(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        ErrorKind.PolicyViolation => ErrorCategory.SecurityError,
        ErrorKind.AuthenticationFailed => ErrorCategory.AuthenticationError,
        ErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        ErrorKind.Unavailable => ErrorCategory.ResourceUnavailable,
        ErrorKind.LimitExceeded => ErrorCategory.LimitsExceeded,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>Lends the characters of a SecureString to <paramref name="use"/> and wipes
    /// the copy afterwards.</summary>
    protected static T WithPassword<T>(SecureString? password, Func<char[], T> use)
    {
        if (password is null || password.Length == 0)
        {
            return use([]);
        }

        var chars = new char[password.Length];
        var pointer = Marshal.SecureStringToGlobalAllocUnicode(password);
        try
        {
            Marshal.Copy(pointer, chars, 0, chars.Length);
            return use(chars);
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(pointer);
            Array.Clear(chars);
        }
    }
}
