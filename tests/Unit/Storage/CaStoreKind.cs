using System.Reflection;
using OpenChat.Engine.Storage;
using OpenChat.Engine.Storage.Postgres;
using OpenChat.Tests.Unit.Support;
using OpenChat.Tests.Unit.Support.Engines;
using Xunit.Sdk;

namespace OpenChat.Tests.Unit.Storage;

/// <summary>The implementations of <see cref="ICaStore"/> the contract tests run against.</summary>
public enum CaStoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>The SQLite row of a CA store theory; with <see cref="OnPostgresCaStoreAttribute"/> a
/// theory runs once per implementation.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OnSqliteCaStoreAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[CaStoreKind.Sqlite]];
}

/// <summary>The PostgreSQL row of a CA store theory: skipped where PostgreSQL is not installed,
/// a failure on CI (<see cref="PostgresServer.SkipReason"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OnPostgresCaStoreAttribute : DataAttribute
{
    public OnPostgresCaStoreAttribute()
    {
        Skip = PostgresServer.SkipReason;
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[CaStoreKind.Postgres]];
}

/// <summary>One empty CA store of a kind, with its factory and its key (a directory, a database),
/// so a test can open further instances on it: several nodes on one store.</summary>
public sealed class CaStoreUnderTest : IDisposable
{
    private readonly TempDirectory _temp;
    private readonly List<ICaStore> _opened = [];

    private CaStoreUnderTest(TempDirectory temp, ICaStoreFactory factory, ICaStore store)
    {
        _temp = temp;
        Factory = factory;
        Store = store;
        _opened.Add(store);
    }

    public ICaStoreFactory Factory { get; }

    public ICaStore Store { get; }

    public string DataDirectory => _temp.Path;

    /// <summary>A fresh factory of the kind on a fresh, empty place (directory or database); no CA yet.</summary>
    public static async Task<(ICaStoreFactory Factory, TempDirectory Directory)> EmptyAsync(CaStoreKind kind)
    {
        var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        ICaStoreFactory factory = kind == CaStoreKind.Sqlite
            ? new SqliteCaStoreFactory()
            : new PostgresCaStoreFactory(await (await PostgresServer.Shared).CreateDatabaseAsync());
        return (factory, temp);
    }

    public static async Task<CaStoreUnderTest> CreateAsync(CaStoreKind kind)
    {
        var (factory, temp) = await EmptyAsync(kind);
        return new CaStoreUnderTest(temp, factory, factory.Create(temp.Path));
    }

    /// <summary>Another instance on the same store, as a second node (or process) would open it.</summary>
    public ICaStore OpenAnother()
    {
        var store = Factory.Open(DataDirectory);
        _opened.Add(store);
        return store;
    }

    public void Dispose()
    {
        foreach (var store in _opened)
        {
            store.Dispose();
        }

        _temp.Dispose();
    }
}
