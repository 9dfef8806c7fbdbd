using System.Text;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>Domain-separation labels and the byte strings derivations are bound to, so a key
/// derived for one room, epoch or member can never be valid for another.</summary>
internal static class GroupLabels
{
    public static readonly byte[] SenderChain = "OpenChat v1 sender chain"u8.ToArray();
    public static readonly byte[] CommitWrap = "OpenChat v1 commit wrap"u8.ToArray();
    public static readonly byte[] CommitWrapV2 = "OpenChat v2 commit wrap"u8.ToArray();
    public static readonly byte[] Init = "OpenChat v2 init"u8.ToArray();
    public static readonly byte[] Joiner = "OpenChat v2 joiner"u8.ToArray();
    public static readonly byte[] EpochSecret = "OpenChat v2 epoch"u8.ToArray();
    public static readonly byte[] ExternalInit = "OpenChat v2 external init"u8.ToArray();
    public static readonly byte[] ExternalSeal = "OpenChat v2 external seal"u8.ToArray();
    public static readonly byte[] MessageKey = [0x01];
    public static readonly byte[] NextChainKey = [0x02];

    public static byte[] Context(params object[] parts)
    {
        var w = PayloadWriter.Body(128);
        foreach (var part in parts)
        {
            switch (part)
            {
                case string s:
                    w.String(s);
                    break;
                case ulong n:
                    w.U64(n);
                    break;
                case byte[] b:
                    w.Bytes(b);
                    break;
                default:
                    throw new ArgumentException($"Unsupported context part {part.GetType()}");
            }
        }

        return w.ToBody();
    }

    public static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
