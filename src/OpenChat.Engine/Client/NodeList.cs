using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Client;

/// <summary>
/// The nodes of the client's deployment, as the last Welcome listed them and the profile
/// remembers them: the node the client is on, and where it goes when that node goes away (the
/// same node first, then the others in the order the server gave). Every node presents a
/// certificate of the same pinned CA, so the list only says where to dial, never whom to trust.
/// A node a Welcome leaves out is kept, after the listed ones, for <see cref="ForgetAfter"/>
/// Welcomes: it may only have been down for a moment when this one was sent (forgetting it at
/// once left a client with one node to go to), and a node removed for good drops out soon enough.
/// </summary>
internal sealed class NodeList
{
    /// <summary>How many Welcomes in a row may leave a node out before the client forgets it.</summary>
    public const int ForgetAfter = 8;

    /// <summary>At most this many left-out nodes are kept: a node listing addresses of its choice
    /// once cannot fill the list with places the client would dial for eight Welcomes.</summary>
    public const int MaxLeftOutKept = 8;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _leftOut = new(StringComparer.OrdinalIgnoreCase);
    private List<string> _known;
    private string _current;

    private readonly bool _only;

    /// <param name="only">The user named this one node: the client goes nowhere else.</param>
    /// <param name="leftOut">How many Welcomes in a row left each remembered node out, as saved.</param>
    public NodeList(string current, IEnumerable<string>? remembered, bool only = false, IReadOnlyDictionary<string, int>? leftOut = null)
    {
        _only = only;
        _current = Normalize(current) ?? current;
        _known = only ? [_current] : [.. Clean((remembered ?? []).Prepend(_current))];
        foreach (var (node, times) in leftOut ?? new Dictionary<string, int>())
        {
            if (Normalize(node) is { } known && _known.Contains(known, StringComparer.OrdinalIgnoreCase) && times is > 0 and < ForgetAfter)
            {
                _leftOut[known] = times;
            }
        }
    }

    /// <summary>The counts to save with <see cref="Known"/>.</summary>
    public Dictionary<string, int> LeftOut
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_leftOut, StringComparer.OrdinalIgnoreCase);
            }
        }
    }

    public string Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    public IReadOnlyList<string> Known
    {
        get
        {
            lock (_gate)
            {
                return [.. _known];
            }
        }
    }

    /// <summary>Where to try, in order: the current node, then the others.</summary>
    public IReadOnlyList<string> Candidates()
    {
        lock (_gate)
        {
            return [_current, .. _known.Where(n => !Same(n, _current))];
        }
    }

    /// <summary>The client is on <paramref name="node"/> now.</summary>
    public void Connected(string node)
    {
        lock (_gate)
        {
            _current = node;
        }
    }

    /// <summary>Takes the live nodes a Welcome listed (the node that sent it is kept even if it
    /// did not list itself), followed by the known nodes it left out fewer than
    /// <see cref="ForgetAfter"/> times in a row; true when the list changed and should be saved.</summary>
    public bool Learn(IReadOnlyList<string> nodes)
    {
        lock (_gate)
        {
            if (nodes.Count == 0 || _only)
            {
                return false;
            }

            List<string> listed = [.. Clean(nodes.Prepend(_current))];
            foreach (var node in listed)
            {
                _leftOut.Remove(node);
            }

            var kept = new List<string>();
            foreach (var node in _known.Where(n => !listed.Contains(n, StringComparer.OrdinalIgnoreCase)))
            {
                var times = _leftOut.GetValueOrDefault(node) + 1;
                if (times < ForgetAfter && kept.Count < MaxLeftOutKept)
                {
                    _leftOut[node] = times;
                    kept.Add(node);
                }
                else
                {
                    _leftOut.Remove(node);
                }
            }

            List<string> next = [.. listed.Concat(kept).Take(Protocol.Welcome.MaxNodes)];
            if (next.SequenceEqual(_known, StringComparer.OrdinalIgnoreCase))
            {
                return false;
            }

            _known = next;
            return true;
        }
    }

    private static IEnumerable<string> Clean(IEnumerable<string> nodes) =>
        nodes.Select(Normalize).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Take(Protocol.Welcome.MaxNodes);

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string? Normalize(string node)
    {
        try
        {
            var (host, port) = ServerNames.ParseAddress(node);
            return ServerNames.FormatAddress(host, port);
        }
        catch (OpenChatException)
        {
            // A remembered entry that no longer parses is dropped, not fatal.
            return null;
        }
    }
}
