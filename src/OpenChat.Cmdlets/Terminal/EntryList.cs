using static OpenChat.Cmdlets.Terminal.ChatScreen;

namespace OpenChat.Cmdlets.Terminal;

/// <summary>
/// The entries a <see cref="ChatScreen"/> holds, oldest first, bounded: each has a number that
/// stays valid while it is kept (older entries dropped from the front, or put before it, do not
/// change it), and its rows for the width last asked, so scrolling does not wrap every entry again.
/// </summary>
internal sealed class EntryList
{
    public const int Capacity = 2000;
    private const int DropAtOnce = 200;

    private readonly List<Item> _items = [];
    // The number of _items[0]: it grows as entries are dropped and shrinks as older ones are put before.
    private long _first;

    private sealed class Item(Entry entry)
    {
        public Entry Entry { get; set; } = entry;

        public List<string>? Rows { get; set; }

        public int Width { get; set; }
    }

    public int Count => _items.Count;

    /// <summary>Room left before older entries can no longer be put before the others.</summary>
    public int Free => Capacity - _items.Count;

    public long First => _first;

    public long Last => _first + _items.Count - 1;

    public bool Holds(long number) => number >= _first && number <= Last;

    /// <summary>Adds an entry after the others and returns its number; when over capacity, the
    /// oldest are dropped (a few hundred at once, so adding stays cheap).</summary>
    public long Add(Entry entry)
    {
        _items.Add(new Item(entry));
        if (_items.Count > Capacity)
        {
            _items.RemoveRange(0, DropAtOnce);
            _first += DropAtOnce;
        }

        return Last;
    }

    /// <summary>Puts older entries (oldest first) before the others, as many as there is room for
    /// (the newest of them), and returns how many were taken.</summary>
    public int Prepend(IReadOnlyList<Entry> older)
    {
        var taken = Math.Min(Free, older.Count);
        _items.InsertRange(0, older.Skip(older.Count - taken).Select(e => new Item(e)));
        _first -= taken;
        return taken;
    }

    public bool Replace(long number, Entry entry)
    {
        if (!Holds(number))
        {
            return false;
        }

        var item = _items[(int)(number - _first)];
        item.Entry = entry;
        item.Rows = null;
        return true;
    }

    /// <summary>Forgets every entry; numbers go on from where they were, so an old number stays invalid.</summary>
    public void Clear()
    {
        _first += _items.Count;
        _items.Clear();
    }

    /// <summary>The rows of entry <paramref name="number"/> at <paramref name="width"/> columns.</summary>
    public List<string> Rows(long number, int width)
    {
        var item = _items[(int)(number - _first)];
        if (item.Rows is null || item.Width != width)
        {
            item.Rows = ChatScreen.Rows(item.Entry, width);
            item.Width = width;
        }

        return item.Rows;
    }
}
