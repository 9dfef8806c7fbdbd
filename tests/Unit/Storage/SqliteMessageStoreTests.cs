using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Storage;

/// <summary>The message store contract on SQLite files in a temp folder of the test's own.</summary>
public class SqliteMessageStoreTests : MessageStoreContractTests
{
    private readonly TempDirectory _temp = new();

    public SqliteMessageStoreTests()
    {
        Directory.CreateDirectory(_temp.Path);
    }

    protected override string NewStorage() => _temp.Combine($"{Guid.NewGuid():N}-{SqliteMessageStore.FileName}");

    protected override IMessageStore OpenStore(string storage) => new SqliteMessageStore(storage);

    public override void Dispose()
    {
        base.Dispose();
        _temp.Dispose();
    }
}
