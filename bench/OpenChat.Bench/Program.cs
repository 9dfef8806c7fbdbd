using OpenChat.Bench;

// OpenChat's load and cost measurements. Every figure is printed next to a baseline measured in
// the same run on the same machine; docs/benchmarks.md records the commands and results.
var command = args.Length > 0 ? args[0] : "help";
var options = BenchArgs.Parse(args.Skip(1));
try
{
    return command switch
    {
        "serve" => await ServeCommand.RunAsync(options),
        "raw-serve" => await ServeCommand.RunRawAsync(options),
        "fanout" => await FanoutBench.RunAsync(options),
        "ingest" => await IngestBench.RunAsync(options),
        "cluster" => await ClusterBench.RunAsync(options),
        "peers" => await OpenChat.Bench.Peers.PeersBench.RunAsync(options),
        "handshakes" => await HandshakeBench.RunAsync(options),
        "idle" => await IdleBench.RunAsync(options),
        "crypto" => await CryptoBench.RunAsync(options),
        "store" => await StoreBench.RunAsync(options),
        "commit" => await CryptoBench.CommitAsync(options),
        _ => Usage(),
    };
}
catch (Exception e)
{
    Console.Error.WriteLine($"bench failed: {e}");
    return 1;
}

static int Usage()
{
    Console.WriteLine("""
        usage: OpenChat.Bench <command> [--name value ...]
          serve       --path DIR [--port 0] [--database CS] [--backplane URL] [--metrics]  run a server until killed
                      (prints READY <port>, then METRICS <port> with --metrics)
          raw-serve   --cert PEM --key PEM                     the raw TLS fan-out baseline in its own process (prints READY <port>)
          fanout      [--members 100] [--publishers 1] [--size 128] [--seconds 10] [--rate 0] [--repeat 1]
                      deliveries/s and latency through one room, next to a raw SslStream fan-out
                      (--rate N: both at N publishes/s instead of their maximum and half, --repeat times,
                      with the server's commit stage from its /metrics)
          ingest      [--publishers 8] [--messages 100000] [--size 128]   durable, acknowledged messages/s
          cluster     [--members 100] [--publishers 2] [--seconds 10] [--messages 100000] [--ingest-publishers 8] [--only TEXT]
                      fan-out and ingest of one node on SQLite, then one and two nodes on PostgreSQL (+ NATS), in one run
          peers       [--rooms 10,100,1000] [--peers openchat,raw,nats,ngircd; also raw-process, raw-same-bytes] [--publishers 1] [--seconds 4] [--warmup 2] [--bisections 3] [--start 50000]
                      highest rate each fan-out holds (>= 99.5 % delivered, p99 < 50 ms), its latency at half, the disk's fsync
          handshakes  [--seconds 5] [--parallel 8]             full mutual-TLS handshakes/s, next to openssl s_time
          idle        [--connections 20000]                    idle mutual-TLS connections and server memory per connection
          store       [--batch 50] [--commits 3000] [--size 128] [--repeat 2] [--rooms 1]
                      one group commit through the server's SQLite store, next to the raw sqlite3 API on the same schema
          crypto      [--messages 20000]                       end-to-end costs per message, commits for 10/100/1000 members, catch-up
          commit      [--members 1000] [--runs 9]              one key update commit in a full room: committer CPU and size, next to the limits
        """);
    return 2;
}
