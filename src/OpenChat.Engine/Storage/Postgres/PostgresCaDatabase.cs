using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OpenChat.Engine.Storage.Postgres;

/// <summary>
/// The CA store's way into PostgreSQL: one pooled <see cref="NpgsqlDataSource"/>, every operation
/// on a connection of its own, every write in one transaction, and a database that cannot be
/// reached reported as <see cref="ErrorIds.StoreUnavailable"/> rather than as a driver exception.
/// </summary>
internal sealed class PostgresCaDatabase : IDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly ILogger _log;

    public PostgresCaDatabase(string connectionString, ILogger log)
    {
        _source = NpgsqlDataSource.Create(connectionString);
        _log = log;
        Name = Describe(connectionString);
    }

    /// <summary>The database and where it is, for messages; never the password.</summary>
    public string Name { get; }

    public NpgsqlDataSource Source => _source;

    /// <summary>Runs a read. A read changes nothing, so one that lost its connection is retried once.</summary>
    public T Read<T>(string operation, Func<NpgsqlConnection, T> work) =>
        Attempt(operation, () =>
        {
            using var connection = _source.OpenConnection();
            return work(connection);
        });

    /// <summary>Runs <paramref name="work"/> in one transaction and commits it. A transaction whose
    /// connection broke before COMMIT was sent is rolled back by the server, so it is retried once
    /// on a new connection; one that broke during COMMIT may have committed and is not.</summary>
    public T Write<T>(string operation, Func<NpgsqlConnection, NpgsqlTransaction, T> work) =>
        Attempt(operation, () =>
        {
            using var connection = _source.OpenConnection();
            using var transaction = connection.BeginTransaction();
            var result = work(connection, transaction);
            try
            {
                transaction.Commit();
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                throw new CommitLostException(e);
            }

            return result;
        });

    /// <summary>Runs something that talks to the database by itself (a schema migration), mapping
    /// an unreachable database to <see cref="ErrorIds.StoreUnavailable"/>; never retried.</summary>
    public T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            _source.Clear();
            throw Unavailable(e);
        }
    }

    public OpenChatException Unavailable(Exception cause) =>
        new(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
            $"The CA's PostgreSQL database {Name} cannot be reached ({cause.Message}). This call changed nothing; try again once the database is back.", cause);

    public void Dispose() => _source.Dispose();

    /// <summary>True for failures of the connection rather than of the statement: the network,
    /// the server shutting down or starting, too many connections.</summary>
    public static bool IsUnreachable(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections,
        NpgsqlException => true,
        SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>A command with positional parameters ($1, $2, ...): values are never spliced into the text.</summary>
    public static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] args)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }

    public static int Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] args)
    {
        using var command = Command(connection, transaction, sql, args);
        return command.ExecuteNonQuery();
    }

    public static object? Scalar(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] args)
    {
        using var command = Command(connection, transaction, sql, args);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public static List<string> Strings(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] args)
    {
        using var command = Command(connection, transaction, sql, args);
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read())
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"'{builder.Database}' on {builder.Host}:{builder.Port}";
    }

    private T Attempt<T>(string operation, Func<T> once)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return once();
            }
            catch (CommitLostException lost)
            {
                // Whether it committed is unknown: the caller must hear it, not a second attempt's answer.
                _source.Clear();
                throw new OpenChatException(ErrorIds.StoreUnavailable, ErrorKind.Unavailable,
                    $"The CA's PostgreSQL database {Name} became unreachable while committing {operation} ({lost.InnerException!.Message}); the change may or may not have been stored. Check before repeating it.", lost.InnerException);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                // Idle pooled connections died with the server; a new attempt must not take another one.
                _source.Clear();
                if (attempt > 1)
                {
                    throw Unavailable(e);
                }

                PostgresCaStoreLog.Retried(_log, e, Name, operation);
            }
        }
    }

    private sealed class CommitLostException(Exception inner) : Exception("The connection broke during COMMIT.", inner);
}
