using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support.Engines;

namespace OpenChat.Tests.Unit.Storage;

/// <summary>What every <see cref="IFileStore"/> must answer, run once per implementation by a subclass.</summary>
public abstract class FileStoreContractTests : IDisposable
{
    private IFileStore? _store;

    protected abstract IFileStore OpenStore();

    protected IFileStore Store => _store ??= OpenStore();

    public virtual void Dispose()
    {
        _store?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_321);

    [StoreFact]
    public void A_file_reads_back_as_declared_with_its_chunks_in_order()
    {
        var file = new StoredFile(Guid.NewGuid(), "ops", "alice", 5_000_000_000, 65536, 76294, Start, null);
        Store.Create(file);
        Store.PutChunk(file.Id, 2, [2, 2]);
        Store.PutChunk(file.Id, 0, [0]);
        Store.PutChunk(file.Id, 2, [9]); // a resend replaces

        Assert.Equal(file, Store.Find(file.Id));
        Assert.Null(Store.Find(Guid.NewGuid()));
        Assert.Equal([0U, 2U], Store.ChunksOf(file.Id));
        Assert.Equal([9], Store.ReadChunk(file.Id, 2));
        Assert.Null(Store.ReadChunk(file.Id, 1));

        Store.MarkComplete(file.Id, Start.AddSeconds(1));
        Store.MarkComplete(file.Id, Start.AddSeconds(2)); // the first completion stands
        Assert.Equal(Start.AddSeconds(1), Store.Find(file.Id)!.CompletedAt);
        Assert.True(Store.Find(file.Id)!.IsComplete);
    }

    [StoreFact]
    public void The_quota_counts_every_declared_size_of_the_owner_and_old_incomplete_uploads_are_deleted()
    {
        var old = new StoredFile(Guid.NewGuid(), "ops", "alice", 10, 65536, 1, Start, null);
        var done = new StoredFile(Guid.NewGuid(), "ops", "alice", 20, 65536, 1, Start, null);
        var fresh = new StoredFile(Guid.NewGuid(), "ops", "alice", 40, 65536, 1, Start.AddHours(2), null);
        Store.Create(old);
        Store.Create(done);
        Store.Create(fresh);
        Store.Create(new StoredFile(Guid.NewGuid(), "ops", "bob", 1000, 65536, 1, Start, null));
        Store.PutChunk(old.Id, 0, [1]);
        Store.MarkComplete(done.Id, Start);

        Assert.Equal(70UL, Store.BytesOwnedBy("alice"));
        Assert.Equal(0UL, Store.BytesOwnedBy("carol"));
        Assert.Equal(2, Store.DeleteIncompleteBefore(Start.AddHours(1)));
        Assert.Null(Store.Find(old.Id));
        Assert.Empty(Store.ChunksOf(old.Id));
        Assert.Equal(60UL, Store.BytesOwnedBy("alice"));
        Assert.Equal(0UL, Store.BytesOwnedBy("bob"));
    }
}
