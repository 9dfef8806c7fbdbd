using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Pki;

public class CaStoreFactoryTests
{
    [Fact]
    public void The_ca_makes_opens_and_archives_its_store_through_the_factory_it_is_given()
    {
        using var temp = new TempDirectory();
        var stores = new RecordingCaStoreFactory();
        var path = temp.Combine("data");

        var directory = CertificateAuthority.Create(path, "Injected CA", "", stores: stores);
        Assert.Same(stores, directory.StoreFactory);
        Assert.Empty(directory.Store.FindCertificates());
        CertificateAuthority.Create(path, "Replacement CA", "", replaceExisting: true, stores: stores);

        Assert.Equal(["create " + directory.Path, "open " + directory.Path, "archive " + directory.Path, "create " + directory.Path], stores.Calls);
        var archived = Assert.Single(Directory.GetDirectories(path, "replaced-*"));
        Assert.True(File.Exists(Path.Combine(archived, CaDirectory.StoreFile)));
        Assert.True(File.Exists(Path.Combine(archived, CaDirectory.CertificateFile)));
    }

    [Fact]
    public void A_directory_counts_as_a_ca_only_when_its_factory_finds_a_store()
    {
        using var temp = new TempDirectory();
        var directory = CertificateAuthority.Create(temp.Combine("data"), "Injected CA", "");
        var nowhere = new RecordingCaStoreFactory { Missing = true };

        var e = Assert.Throws<OpenChat.Engine.OpenChatException>(() => new CaDirectory(directory.Path, nowhere).EnsureExists());

        Assert.Equal(OpenChat.Engine.ErrorIds.CaNotFound, e.ErrorId);
    }

    [Fact]
    public async Task The_server_opens_its_ca_store_through_the_options_factory()
    {
        var stores = new RecordingCaStoreFactory();
        await using var h = await ChatHarness.StartAsync(o => o.CaStoreFactory = stores);

        Assert.Contains("create " + h.DataPath, stores.Calls);
        Assert.Contains("open " + h.DataPath, stores.Calls);
        Assert.DoesNotContain(stores.Calls, c => !c.EndsWith(h.DataPath, StringComparison.Ordinal));
    }

    /// <summary>SQLite underneath, every call written down.</summary>
    private sealed class RecordingCaStoreFactory : ICaStoreFactory
    {
        private readonly List<string> _calls = [];

        public bool Missing { get; init; }

        public IReadOnlyList<string> Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public bool Exists(string dataDirectory) => !Missing && SqliteCaStoreFactory.Instance.Exists(dataDirectory);

        public ICaStore Create(string dataDirectory) => Record("create", dataDirectory, SqliteCaStoreFactory.Instance.Create);

        public ICaStore Open(string dataDirectory) => Record("open", dataDirectory, SqliteCaStoreFactory.Instance.Open);

        public void Archive(string dataDirectory, string archiveDirectory) =>
            Record("archive", dataDirectory, d => { SqliteCaStoreFactory.Instance.Archive(d, archiveDirectory); return 0; });

        private T Record<T>(string what, string dataDirectory, Func<string, T> call)
        {
            lock (_calls)
            {
                _calls.Add(what + " " + dataDirectory);
            }

            return call(dataDirectory);
        }
    }
}
