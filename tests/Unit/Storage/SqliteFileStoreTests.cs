using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Storage;

/// <summary>The file store contract on a SQLite file in a temp folder of the test's own.</summary>
public class SqliteFileStoreTests : FileStoreContractTests
{
    private readonly TempDirectory _temp = new();

    protected override IFileStore OpenStore()
    {
        Directory.CreateDirectory(_temp.Path);
        return new SqliteFileStore(_temp.Combine(SqliteFileStore.FileName));
    }

    public override void Dispose()
    {
        base.Dispose();
        _temp.Dispose();
    }
}
