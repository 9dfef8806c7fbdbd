using System.Net;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;

namespace OpenChat.Tests.Unit.Support;

/// <summary>A running server on a free loopback port with a fresh CA, and helpers to enroll
/// users through real invites and connect them.</summary>
public sealed class ChatHarness : IAsyncDisposable
{
    private readonly TempDirectory _temp;
    private readonly List<ChatClient> _clients = [];

    private ChatHarness(OpenChat.Engine.Server.ChatServer server, TempDirectory temp)
    {
        Server = server;
        _temp = temp;
    }

    public OpenChat.Engine.Server.ChatServer Server { get; private set; }

    public string DataPath => Server.DataPath;

    public string Address => $"127.0.0.1:{Server.Endpoint.Port}";

    public string ProfileRoot => _temp.Combine("profiles");

    /// <summary>OPENCHAT_TEST_NODES=2: every harness is a deployment of two nodes on a fresh
    /// PostgreSQL database and a nats-server of its own, and users are invited to the two nodes in
    /// turn (alice to the first, bob to the second, ...), so the end-to-end suites run unchanged
    /// across nodes. <see cref="Server"/> is the first node.</summary>
    public static bool TwoNodes => Environment.GetEnvironmentVariable("OPENCHAT_TEST_NODES") == "2";

    public static async Task<ChatHarness> StartAsync(Action<ChatServerOptions>? configure = null)
    {
        var temp = new TempDirectory();
        if (TwoNodes)
        {
            return await StartTwoNodesAsync(temp, configure);
        }

        var options = new ChatServerOptions { Port = 0 };
        configure?.Invoke(options);
        var server = await OpenChat.Engine.Server.ChatServer.StartAsync(temp.Combine("server"), options);
        return new ChatHarness(server, temp);
    }

    private static async Task<ChatHarness> StartTwoNodesAsync(TempDirectory temp, Action<ChatServerOptions>? configure)
    {
        var postgres = await Engines.PostgresServer.Shared;
        var database = await postgres.CreateDatabaseAsync();
        var nats = await Engines.NatsServer.StartAsync();
        ChatServerOptions Options()
        {
            var options = new ChatServerOptions { Port = 0, Database = database, Backplane = nats.Url };
            configure?.Invoke(options);
            return options;
        }

        var first = await OpenChat.Engine.Server.ChatServer.StartAsync(temp.Combine("server"), Options());
        var secondPath = temp.Combine("server-b");
        Directory.CreateDirectory(secondPath);
        foreach (var file in CaDirectory.NodeFiles)
        {
            File.Copy(Path.Combine(first.DataPath, file), Path.Combine(secondPath, file));
        }

        var second = await OpenChat.Engine.Server.ChatServer.StartAsync(secondPath, Options());
        return new ChatHarness(first, temp) { SecondNode = second, Nats = nats, Database = database, Postgres = postgres };
    }

    /// <summary>The second node (two-node mode only).</summary>
    public OpenChat.Engine.Server.ChatServer? SecondNode { get; private set; }

    private Engines.NatsServer? Nats { get; init; }

    private Engines.PostgresServer? Postgres { get; init; }

    /// <summary>The deployment's database (two-node mode only).</summary>
    public string? Database { get; private init; }

    private int _invites;

    public string Invite(string user)
    {
        var server = SecondNode is not null && _invites++ % 2 == 1 ? $"127.0.0.1:{SecondNode.Endpoint.Port}" : Address;
        var (_, code) = new InviteBook(new CaDirectory(DataPath)).Create(user, server: server);
        return code.ToString();
    }

    /// <summary>Everything the server side holds: the files of the data directories and, with two
    /// nodes, a dump of the database (bytea as hex), for tests that look for plaintext.</summary>
    public async Task<IReadOnlyList<(string Name, byte[] Content)>> StoredDataAsync()
    {
        var stored = new List<(string, byte[])>();
        foreach (var directory in new[] { DataPath, SecondNode?.DataPath }.OfType<string>())
        {
            foreach (var file in Directory.GetFiles(directory).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                stored.Add((Path.GetFileName(file), copy.ToArray()));
            }
        }

        if (Postgres is not null && Database is not null)
        {
            stored.Add(("the PostgreSQL database", await Postgres.DumpAsync(Database)));
        }

        return stored;
    }

    public async Task<ChatProfile> EnrollAsync(string user, string password = "") =>
        await ChatEnrollment.RegisterAsync(Invite(user), ProfileRoot, password.AsMemory(), TimeSpan.FromSeconds(10), CancellationToken.None);

    public async Task<ChatClient> ConnectAsync(ChatProfile profile, ChatClientOptions? options = null)
    {
        var client = await ChatClient.ConnectAsync(profile, ReadOnlyMemory<char>.Empty, options ?? new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200) });
        _clients.Add(client);
        return client;
    }

    public async Task<ChatClient> UserAsync(string user) => await ConnectAsync(await EnrollAsync(user));

    /// <summary>Stops the server and starts a new one on the same data and port.</summary>
    public async Task RestartAsync()
    {
        await StopServerAsync();
        await StartServerAgainAsync();
    }

    /// <summary>Stops the server (its clients go to Reconnecting); <see cref="StartServerAgainAsync"/>
    /// brings it back on the same data and port. With two nodes both stop: "the server is down"
    /// means nowhere to fail over to (stopping only the first left a client of the second
    /// connected, and one of the first reconnected to the second).</summary>
    public async Task StopServerAsync()
    {
        _port = Server.Endpoint.Port;
        await Server.StopAsync();
        if (SecondNode is not null)
        {
            _secondPort = SecondNode.Endpoint.Port;
            await SecondNode.StopAsync();
        }
    }

    public async Task StartServerAgainAsync()
    {
        Server = await OpenChat.Engine.Server.ChatServer.StartAsync(DataPath, new ChatServerOptions { Port = _port ?? Server.Endpoint.Port, Backplane = Nats?.Url });
        if (SecondNode is not null)
        {
            SecondNode = await OpenChat.Engine.Server.ChatServer.StartAsync(SecondNode.DataPath,
                new ChatServerOptions { Port = _secondPort ?? SecondNode.Endpoint.Port, Backplane = Nats?.Url });
        }
    }

    private int? _port;
    private int? _secondPort;

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await Server.StopAsync();
        if (SecondNode is not null)
        {
            await SecondNode.StopAsync();
        }

        if (Nats is not null)
        {
            await Nats.DisposeAsync();
        }

        _temp.Dispose();
    }
}

public static class Eventually
{
    /// <summary>Polls until the condition holds or the deadline passes (no fixed sleeps).</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }

    public static async Task<OpenChat.Engine.Protocol.RoomEvent> NextAsync(ChatClient client, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        return await client.ReceiveAsync(cts.Token);
    }
}

public static class SecureHarness
{
    public static async Task<OpenChat.Engine.Client.SecureSession> SecureAsync(this ChatHarness h, OpenChat.Engine.Client.ChatProfile profile) =>
        await OpenChat.Engine.Client.SecureSession.ConnectAsync(profile, ReadOnlyMemory<char>.Empty,
            new OpenChat.Engine.Client.ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200) });

    /// <summary>The next message, skipping membership notices.</summary>
    public static async Task<OpenChat.Engine.Client.SecureMessage> NextAsync(OpenChat.Engine.Client.SecureSession session, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        return await session.ReceiveAsync(cts.Token, m => !m.IsNotice);
    }

    public static async Task<OpenChat.Engine.Client.SecureMessage> NextNoticeAsync(OpenChat.Engine.Client.SecureSession session, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        return await session.ReceiveAsync(cts.Token, m => m.IsNotice);
    }

    /// <summary>Reads messages until one with exactly this text (others are passed over).</summary>
    public static async Task<OpenChat.Engine.Client.SecureMessage> NextWithTextAsync(OpenChat.Engine.Client.SecureSession session, string text, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        OpenChat.Engine.Client.SecureMessage message;
        do
        {
            message = await session.ReceiveAsync(cts.Token, m => !m.IsNotice);
        }
        while (message.Text != text);
        return message;
    }

    /// <summary>Reads notices until one whose typed notice <paramref name="match"/> accepts.</summary>
    public static async Task<OpenChat.Engine.Client.SecureMessage> NoticeAsync(OpenChat.Engine.Client.SecureSession session,
        Func<OpenChat.Engine.Client.SecureNotice?, bool> match, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        OpenChat.Engine.Client.SecureMessage notice;
        do
        {
            notice = await session.ReceiveAsync(cts.Token, m => m.IsNotice);
        }
        while (!match(notice.Notice));
        return notice;
    }
}
