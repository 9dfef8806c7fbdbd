namespace OpenChat.Engine.Protocol;

/// <summary>A CA root the server offers (DER) with its proof: a cross-certificate (DER) by which
/// another root of the CA certified exactly this root's name and key.</summary>
public sealed record RootOffer(byte[] Root, byte[] Proof);

/// <summary>Pushed after Welcome while a CA rollover's overlap runs: the current root proven by
/// the previous one, and the previous root proven by the current one. A client pins an offered
/// root only if its proof verifies under a root it already pins (docs/security.md).</summary>
public sealed record CaRoots(IReadOnlyList<RootOffer> Offers) : IMessage
{
    // Two roots during an overlap; a few more are tolerated, a list that cannot be real is not.
    public const int MaxOffers = 8;

    public byte[] ToFrame()
    {
        var w = new PayloadWriter(MessageType.CaRoots, 2048).U32((uint)Offers.Count);
        foreach (var offer in Offers)
        {
            w.Bytes(offer.Root).Bytes(offer.Proof);
        }

        return w.ToFrame();
    }

    public static CaRoots Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var count = r.U32();
        if (count > MaxOffers)
        {
            throw new ProtocolException($"A CaRoots frame offers {count} roots; at most {MaxOffers} are accepted.");
        }

        var offers = new List<RootOffer>();
        for (var i = 0u; i < count; i++)
        {
            offers.Add(new RootOffer(r.Bytes(), r.Bytes()));
        }

        r.End();
        return new CaRoots(offers);
    }
}

/// <summary>The answer to GetRevocationLists: the revocation list of each root of the CA still
/// valid (DER, the current root's first), so a client verifies one under whichever root it pins.</summary>
public sealed record RevocationListsReply(uint Tag, IReadOnlyList<byte[]> Crls) : IReply
{
    public const int MaxLists = 8;

    public byte[] ToFrame()
    {
        var w = new PayloadWriter(MessageType.RevocationLists, 64 + Crls.Sum(c => c.Length + 4)).U32(Tag).U32((uint)Crls.Count);
        foreach (var crl in Crls)
        {
            w.Bytes(crl);
        }

        return w.ToFrame();
    }

    public static RevocationListsReply Read(ReadOnlySpan<byte> p)
    {
        var r = new PayloadReader(p);
        var tag = r.U32();
        var count = r.U32();
        if (count > MaxLists)
        {
            throw new ProtocolException($"A RevocationLists frame carries {count} lists; at most {MaxLists} are accepted.");
        }

        var lists = new List<byte[]>();
        for (var i = 0u; i < count; i++)
        {
            lists.Add(r.Bytes());
        }

        r.End();
        return new RevocationListsReply(tag, lists);
    }
}
