using System.Runtime.InteropServices;

namespace OpenChat.Engine.Server.Configuration;

/// <summary>Where an unattended server finds the CA key's password: a file only its owner can
/// read, or an environment variable (a service manager's credential). Never the command line,
/// which every user of the machine sees in the process list.</summary>
public static class CaPasswordSource
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The password in <paramref name="path"/>, one trailing newline removed. On Unix the
    /// file must be mode 0600 or 0400 and owned by this process's user; anything looser is
    /// refused with <see cref="ErrorIds.PasswordFileInsecure"/> naming the mode.</summary>
    public static char[] ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new OpenChatException(ErrorIds.ConfigurationInvalid, ErrorKind.NotFound,
                $"The CA password file '{path}' does not exist.");
        }

        if (!OperatingSystem.IsWindows())
        {
            CheckOwnerOnly(path);
        }

        var text = File.ReadAllText(path);
        if (text.EndsWith("\r\n", StringComparison.Ordinal))
        {
            text = text[..^2];
        }
        else if (text.EndsWith('\n'))
        {
            text = text[..^1];
        }

        if (text.Length == 0)
        {
            throw new OpenChatException(ErrorIds.CaPasswordRequired, ErrorKind.InvalidArgument,
                $"The CA password file '{path}' is empty.");
        }

        return text.ToCharArray();
    }

    /// <summary>The password in the environment variable <paramref name="name"/>; a missing or
    /// empty variable is refused with <see cref="ErrorIds.PasswordVariableMissing"/>.</summary>
    public static char[] ReadVariable(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(value))
        {
            throw new OpenChatException(ErrorIds.PasswordVariableMissing, ErrorKind.InvalidArgument,
                $"The environment variable '{name}' named for the CA password is {(value is null ? "not set" : "empty")}.");
        }

        return value.ToCharArray();
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void CheckOwnerOnly(string path)
    {
        var mode = File.GetUnixFileMode(path);
        var permissions = mode & (UnixFileMode)0x1FF;
        if (permissions != OwnerOnly && permissions != UnixFileMode.UserRead)
        {
            throw new OpenChatException(ErrorIds.PasswordFileInsecure, ErrorKind.PolicyViolation,
                $"The CA password file '{path}' has mode {Octal(permissions)}; it must be readable by its owner only " +
                $"(mode 0600 or 0400: chmod 600 '{path}').");
        }

        if (OperatingSystem.IsLinux() && FileOwner(path) is { } owner && owner != geteuid())
        {
            throw new OpenChatException(ErrorIds.PasswordFileInsecure, ErrorKind.PolicyViolation,
                $"The CA password file '{path}' (mode {Octal(permissions)}) is owned by user id {owner}, not by the user running the server (id {geteuid()}).");
        }
    }

    private static string Octal(UnixFileMode permissions) => "0" + Convert.ToString((int)permissions, 8).PadLeft(3, '0');

    // statx(2) has one layout on every Linux architecture (unlike stat), so the owner's uid is
    // read at a fixed offset: stx_mask, stx_blksize (u32 each), stx_attributes (u64), stx_nlink, stx_uid.
    private static uint? FileOwner(string path)
    {
        const int AtFdCwd = -100;
        const uint StatxUid = 0x8;
        var buffer = new byte[256];
        return statx(AtFdCwd, path, 0, StatxUid, buffer) == 0 ? BitConverter.ToUInt32(buffer, 20)
            : throw new IOException($"Cannot read the owner of '{path}' (errno {Marshal.GetLastPInvokeError()}).");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, uint mask, [Out] byte[] buffer);

    [DllImport("libc")]
    private static extern uint geteuid();
}
