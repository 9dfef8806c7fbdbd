using OpenChat.Engine.Storage;
using OpenChat.Engine.Storage.Postgres;
using OpenChat.Tests.Unit.Support.Engines;

namespace OpenChat.Tests.Unit.Storage.Postgres;

/// <summary>The message store contract on PostgreSQL: each storage is a new database of the shared cluster.</summary>
public class PostgresMessageStoreTests : MessageStoreContractTests, INeedsPostgres
{
    protected override string NewStorage() => PostgresServer.Shared.GetAwaiter().GetResult().CreateDatabaseAsync().GetAwaiter().GetResult();

    protected override IMessageStore OpenStore(string storage) => new PostgresMessageStore(storage);
}
