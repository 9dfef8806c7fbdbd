using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using NodeServer = OpenChat.Engine.Server.ChatServer;
using OpenChat.Tests.Unit.Support.Engines;
using Xunit;

namespace OpenChat.Tests.Unit.Support;

/// <summary>
/// Several server nodes in this process on one PostgreSQL database (a fresh one in the suite's
/// cluster) and, unless told otherwise, a nats-server of their own: node 0 starts on the empty
/// database and creates the CA; every further node starts from a copy of node 0's keys and
/// certificates, as an admin would add one. Users are enrolled through real invites.
/// </summary>
public sealed class ClusterHarness : IAsyncDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly List<ChatClient> _clients = [];
    private readonly Action<ChatServerOptions>? _configure;

    private ClusterHarness(string database, NatsServer? nats, Action<ChatServerOptions>? configure)
    {
        Database = database;
        Nats = nats;
        _configure = configure;
    }

    public string Database { get; }

    public NatsServer? Nats { get; }

    public List<NodeServer?> Nodes { get; } = [];

    private readonly List<int> _ports = [];

    public string ProfileRoot => _temp.Combine("profiles");

    public string NodePath(int node) => _temp.Combine($"node-{node}");

    public string Address(int node) => $"localhost:{_ports[node]}";

    public NodeServer Node(int node) => Nodes[node] ?? throw new InvalidOperationException($"node {node} is stopped");

    public static async Task<ClusterHarness> StartAsync(int nodes = 2, bool backplane = true, Action<ChatServerOptions>? configure = null,
        PostgresServer? ownPostgres = null)
    {
        var postgres = ownPostgres ?? await PostgresServer.Shared;
        var database = await postgres.CreateDatabaseAsync();
        var nats = backplane ? await NatsServer.StartAsync() : null;
        var cluster = new ClusterHarness(database, nats, configure);
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                await cluster.AddNodeAsync();
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more node from a copy of node 0's keys and certificates.</summary>
    public async Task<NodeServer> AddNodeAsync()
    {
        var index = Nodes.Count;
        var path = NodePath(index);
        Directory.CreateDirectory(path);
        if (index > 0)
        {
            foreach (var file in CaDirectory.NodeFiles)
            {
                File.Copy(Path.Combine(NodePath(0), file), Path.Combine(path, file));
            }
        }

        var server = await OpenChat.Engine.Server.ChatServer.StartAsync(path, Options(0));
        Nodes.Add(server);
        _ports.Add(server.Endpoint.Port);
        return server;
    }

    /// <summary>Stops the node cleanly (its clients move to another).</summary>
    public async Task StopNodeAsync(int node)
    {
        await Node(node).StopAsync();
        Nodes[node] = null;
    }

    /// <summary>Starts a stopped node again on its directory and port.</summary>
    public async Task StartNodeAgainAsync(int node) =>
        Nodes[node] = await OpenChat.Engine.Server.ChatServer.StartAsync(NodePath(node), Options(_ports[node]));

    /// <summary>The CA as an admin reaches it through a node's directory (which names the database).</summary>
    public CaDirectory Ca(int node = 0) => new(NodePath(node));

    public string Invite(string user, int node = 0, params int[] moreNodes)
    {
        var servers = string.Join(',', new[] { node }.Concat(moreNodes).Select(Address));
        var (_, code) = new InviteBook(Ca(node)).Create(user, server: servers);
        return code.ToString();
    }

    public async Task<ChatProfile> EnrollAsync(string user, int node = 0) =>
        await ChatEnrollment.RegisterAsync(Invite(user, node), ProfileRoot, ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);

    public async Task<ChatClient> ConnectAsync(ChatProfile profile, ChatClientOptions? options = null)
    {
        var client = await ChatClient.ConnectAsync(profile, ReadOnlyMemory<char>.Empty,
            options ?? new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200) });
        _clients.Add(client);
        return client;
    }

    public async Task<ChatClient> UserAsync(string user, int node = 0) => await ConnectAsync(await EnrollAsync(user, node));

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        foreach (var node in Nodes)
        {
            if (node is not null)
            {
                await node.StopAsync();
            }
        }

        if (Nats is not null)
        {
            await Nats.DisposeAsync();
        }

        _temp.Dispose();
    }

    private ChatServerOptions Options(int port)
    {
        var options = new ChatServerOptions { Port = port, Database = Database, Backplane = Nats?.Url };
        _configure?.Invoke(options);
        return options;
    }
}

/// <summary>A fact that needs PostgreSQL and nats-server: skipped where either is missing, except on CI.</summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute()
    {
        Skip = PostgresServer.SkipReason ?? NatsServer.SkipReason;
    }
}
