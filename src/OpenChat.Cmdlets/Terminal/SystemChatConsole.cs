namespace OpenChat.Cmdlets.Terminal;

/// <summary>The process's own terminal, through <see cref="Console"/>.</summary>
internal sealed class SystemChatConsole : IChatConsole
{
    /// <summary>False when input or output is redirected: then there is no screen to draw on.</summary>
    public static bool IsInteractive => !Console.IsInputRedirected && !Console.IsOutputRedirected;

    public int WindowWidth => Console.WindowWidth;

    public int WindowHeight => Console.WindowHeight;

    public bool KeyAvailable => Console.KeyAvailable;

    public ConsoleKeyInfo ReadKey() => Console.ReadKey(intercept: true);

    public void Write(string text) => Console.Write(text);
}
