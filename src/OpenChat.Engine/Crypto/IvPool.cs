using System.Security.Cryptography;

namespace OpenChat.Engine.Crypto;

/// <summary>
/// Random 16-byte IVs drawn from the system's CSPRNG a page at a time: one call into it costs as
/// much as a quarter of a message's encryption, and an IV is public (it travels in the token), so
/// holding the next ones in memory gives nothing away. Only for IVs: never for keys or secrets.
/// </summary>
internal static class IvPool
{
    public const int IvLength = 16;

    private const int PageLength = 4096;

    [ThreadStatic]
    private static byte[]? _page;

    [ThreadStatic]
    private static int _used;

    /// <summary>Writes a fresh IV into <paramref name="iv"/> (16 bytes); each byte is handed out once.</summary>
    public static void Fill(Span<byte> iv)
    {
        if (iv.Length != IvLength)
        {
            throw new ArgumentException("An IV is 16 bytes.", nameof(iv));
        }

        var page = _page ??= new byte[PageLength];
        if (_used == 0 || _used == PageLength)
        {
            RandomNumberGenerator.Fill(page);
            _used = 0;
        }

        var next = page.AsSpan(_used, IvLength);
        next.CopyTo(iv);
        next.Clear();
        _used += IvLength;
    }
}
