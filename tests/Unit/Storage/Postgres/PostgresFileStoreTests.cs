using OpenChat.Engine.Storage;
using OpenChat.Engine.Storage.Postgres;
using OpenChat.Tests.Unit.Support.Engines;

namespace OpenChat.Tests.Unit.Storage.Postgres;

/// <summary>The file store contract on a new database of the shared PostgreSQL cluster.</summary>
public class PostgresFileStoreTests : FileStoreContractTests, INeedsPostgres
{
    protected override IFileStore OpenStore() =>
        new PostgresFileStore(PostgresServer.Shared.GetAwaiter().GetResult().CreateDatabaseAsync().GetAwaiter().GetResult());
}
