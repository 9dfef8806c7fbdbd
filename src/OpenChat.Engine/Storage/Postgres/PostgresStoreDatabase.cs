using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>
/// One PostgreSQL store's pooled data source, and the one place where an unreachable database
/// becomes <see cref="ErrorIds.StoreUnavailable"/>. The database is named by host, port and
/// name only: the connection string may carry a password, which never reaches a message or a log.
/// </summary>
internal sealed class PostgresStoreDatabase : IDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly string _store;
    private readonly ILogger _log;

    public PostgresStoreDatabase(string connectionString, string store, ILogger log)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true };
        Name = $"'{builder.Database}' on {builder.Host}:{builder.Port}";
        _source = NpgsqlDataSource.Create(builder.ConnectionString);
        _store = store;
        _log = log;
    }

    /// <summary>The database as messages name it: name, host and port.</summary>
    public string Name { get; }

    public NpgsqlDataSource Source => _source;

    /// <summary>Runs <paramref name="work"/> on a pooled connection of its own; tried once more
    /// on a fresh connection when the database was unreachable (see <see cref="Run{T}(Func{NpgsqlConnection, Action, T})"/>).
    /// Only for work that may be done twice.</summary>
    /// <exception cref="OpenChatException">StoreUnavailable: the database cannot be reached.</exception>
    public T Run<T>(Func<NpgsqlConnection, T> work) => Run((connection, _) => work(connection));

    public void Run(Action<NpgsqlConnection> work) => Run((connection, _) =>
    {
        work(connection);
        return true;
    });

    /// <summary>Work that must not be done twice: no second try.</summary>
    public void RunOnce(Action<NpgsqlConnection> work) => Run((connection, once) =>
    {
        once();
        work(connection);
        return true;
    });

    /// <summary>
    /// Runs <paramref name="work"/>, which calls the action it is given before the step after which
    /// a second try could do the work twice (a commit). A restarted database leaves every idle
    /// pooled connection broken and the pool cannot tell: the first call after the restart fails
    /// on one. So a failure before that step is tried once more, after the pool was cleared, on a
    /// fresh connection; a failure after it is reported, since the work may have been done.
    /// </summary>
    public T Run<T>(Func<NpgsqlConnection, Action, T> work)
    {
        for (var attempt = 1; ; attempt++)
        {
            var retryable = true;
            try
            {
                using var connection = _source.OpenConnection();
                return work(connection, () => retryable = false);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                var failure = Unavailable(e);
                if (attempt > 1 || !retryable)
                {
                    throw failure;
                }
            }
        }
    }

    /// <summary><see cref="Run{T}(Func{NpgsqlConnection, T})"/> for asynchronous work that may be done
    /// twice; cancellation surfaces as <see cref="OperationCanceledException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                return await work(connection).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsUnreachable(e))
            {
                var failure = Unavailable(e);
                if (attempt > 1)
                {
                    throw failure;
                }
            }
        }
    }

    /// <summary>Brings the store's schema part up to date (see <see cref="PostgresSchema.Migrate"/>).</summary>
    /// <exception cref="OpenChatException">StoreUnavailable, or StoreVersionUnsupported.</exception>
    public void Migrate(string part, IReadOnlyList<string> steps, TimeProvider time)
    {
        try
        {
            PostgresSchema.Migrate(_source, part, steps, time, _log);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw Unavailable(e);
        }
    }

    public static bool IsUnreachable(Exception e) => e switch
    {
        // Connection exceptions (08), the server shutting down or not yet accepting (57P0x),
        // too many connections or out of resources (53): the database, not the statement.
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("53", StringComparison.Ordinal),
        NpgsqlException => true,
        SocketException or TimeoutException => true,
        _ => false,
    };

    private OpenChatException Unavailable(Exception e)
    {
        PostgresStoreLog.Unreachable(_log, e, _store, Name);
        // Idle pooled connections died with the server: drop them, so that the first call once it
        // is back opens a fresh connection instead of failing on a stale one.
        _source.Clear();
        return new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
            $"The PostgreSQL database {Name} of the {_store} is unreachable: {e.Message}", e);
    }

    public void Dispose() => _source.Dispose();
}
