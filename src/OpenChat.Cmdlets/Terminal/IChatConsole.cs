namespace OpenChat.Cmdlets.Terminal;

/// <summary>
/// What the chat screen needs of a terminal: its size, the keyboard, and somewhere to write.
/// Everything else (moving the cursor, colours, clearing a line, the scroll region) the screen
/// says in VT sequences inside what it writes, so a test console that reads those sequences
/// sees what a terminal would show, and the seam stays this small.
/// </summary>
internal interface IChatConsole
{
    int WindowWidth { get; }

    int WindowHeight { get; }

    bool KeyAvailable { get; }

    /// <summary>The next key, not echoed (the screen draws the input line itself).</summary>
    ConsoleKeyInfo ReadKey();

    void Write(string text);
}
