using System.Globalization;
using OpenChat.Engine.Files;

namespace OpenChat;

/// <summary>The file a chat message carries, as the sender announced it (the key stays inside).
/// <see cref="Name"/> is the sender's word: Save-ChatFile sanitises it before it names a file.</summary>
public sealed class ChatAttachment
{
    internal ChatAttachment(FileAttachment attachment)
    {
        Name = attachment.Name;
        Size = attachment.Size;
        Sha256 = attachment.HashHex;
        FileId = attachment.FileId;
    }

    public string Name { get; }

    /// <summary>Bytes.</summary>
    public ulong Size { get; }

    /// <summary>The SHA-256 of the file's contents (hex); Save-ChatFile checks the file against it.</summary>
    public string Sha256 { get; }

    public Guid FileId { get; }

    /// <summary>"1.5 MB", "640 KB", "12 bytes".</summary>
    public static string FormatSize(ulong bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        < 1024UL * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.##} GB"),
    };

    public override string ToString() => Engine.TerminalText.Neutralise($"{Name} ({FormatSize(Size)})");
}
