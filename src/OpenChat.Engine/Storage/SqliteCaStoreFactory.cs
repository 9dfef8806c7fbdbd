using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine.Pki;

namespace OpenChat.Engine.Storage;

/// <summary>The embedded CA store: <see cref="CaDirectory.StoreFile"/> in the data directory.</summary>
public sealed class SqliteCaStoreFactory : ICaStoreFactory
{
    public static readonly SqliteCaStoreFactory Instance = new();

    // SQLite keeps these beside the database in WAL mode; they belong to it and move with it.
    private static readonly string[] Companions = ["-wal", "-shm"];

    private readonly TimeProvider _time;
    private readonly ILogger _log;

    /// <param name="time">The clock a schema upgrade records its changes at.</param>
    /// <param name="log">Where schema upgrades are logged.</param>
    public SqliteCaStoreFactory(TimeProvider? time = null, ILogger? log = null)
    {
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
    }

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, CaDirectory.StoreFile);

    public bool Exists(string dataDirectory) => File.Exists(PathIn(dataDirectory));

    public ICaStore Create(string dataDirectory) => SqliteCaStore.Create(PathIn(dataDirectory), _time, _log);

    public ICaStore Open(string dataDirectory) => SqliteCaStore.Open(PathIn(dataDirectory), _time, _log);

    public void Archive(string dataDirectory, string archiveDirectory)
    {
        // Pooled connections keep the files open (and on Windows, unmovable).
        SqliteCaStore.ReleasePooledConnections();
        foreach (var file in Companions.Prepend("").Select(suffix => CaDirectory.StoreFile + suffix))
        {
            var source = Path.Combine(dataDirectory, file);
            if (File.Exists(source))
            {
                File.Move(source, Path.Combine(archiveDirectory, file));
            }
        }
    }
}
