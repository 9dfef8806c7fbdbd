using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Tests.Unit.Storage;

/// <summary>
/// What every <see cref="ICaStore"/> must answer alike, run against SQLite and PostgreSQL; the
/// "two instances" tests open the one store twice, as two nodes (or two processes) do.
/// </summary>
public class CaStoreContractTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Name_uniqueness_holds_under_concurrent_inserts(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        var now = DateTimeOffset.UtcNow;
        var taken = 0;
        Parallel.For(0, 8, i =>
        {
            var record = new CertificateRecord($"{i:X32}", CertificateKind.Client, i % 2 == 0 ? "alice" : "ALICE",
                "thumb", now, now.AddDays(1), now, [1, 2, 3]);
            try
            {
                store.AddCertificate(record, uniqueClientName: true, now);
            }
            catch (OpenChatException e) when (e.ErrorId == ErrorIds.UserNameTaken)
            {
                Interlocked.Increment(ref taken);
            }
        });
        Assert.Single(store.FindCertificates());
        Assert.Equal(7, taken);
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Revoke_changes_a_certificate_once(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        var now = DateTimeOffset.UtcNow;
        store.AddCertificate(new CertificateRecord("AB", CertificateKind.Client, "alice", "t", now, now.AddDays(1), now, [1]), true, now);
        Assert.NotNull(store.RevokeCertificate("ab", now, X509RevocationReason.Superseded));
        Assert.Null(store.RevokeCertificate("AB", now, X509RevocationReason.KeyCompromise));
        Assert.Equal(X509RevocationReason.Superseded, store.GetCertificate("AB")!.RevocationReason);
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Settings_round_trip_and_crl_numbers_increase(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        Assert.Null(store.GetSetting("k"));
        store.SetSetting("k", "v1");
        store.SetSetting("k", "v2");
        Assert.Equal("v2", store.GetSetting("k"));
        Assert.Equal(1, store.NextCrlNumber());
        Assert.Equal(2, store.NextCrlNumber());
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Opening_where_there_is_no_store_says_the_ca_is_missing(CaStoreKind kind)
    {
        var (factory, temp) = await CaStoreUnderTest.EmptyAsync(kind);
        using (temp)
        {
            Assert.False(factory.Exists(temp.Path));
            var e = Assert.Throws<OpenChatException>(() => factory.Open(temp.Path));
            Assert.Equal(ErrorIds.CaNotFound, e.ErrorId);
            factory.Create(temp.Path).Dispose();
            Assert.True(factory.Exists(temp.Path));
            factory.Open(temp.Path).Dispose();
        }
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Certificates_read_back_as_stored_and_are_found_by_kind_and_name_in_issue_order(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        var server = new CertificateRecord("0A", CertificateKind.Server, "chat.example", "ts", Now, Now.AddDays(90), Now.AddMinutes(2), [4, 5]);
        store.AddCertificate(Client("0C", "Bob", Now.AddMinutes(3)), uniqueClientName: true, Now);
        store.AddCertificate(server, uniqueClientName: false, Now);
        store.AddCertificate(Client("0B", "alice", Now.AddMinutes(1)), uniqueClientName: true, Now);

        var alice = store.GetCertificate("0b")!;
        Assert.Equal(Client("0B", "alice", Now.AddMinutes(1)) with { RawData = alice.RawData }, alice);
        Assert.Equal([1, 2, 3], alice.RawData);
        Assert.Equal(["0B", "0A", "0C"], store.FindCertificates().Select(c => c.Serial));
        Assert.Equal(["0B", "0C"], store.FindCertificates(CertificateKind.Client).Select(c => c.Serial));
        Assert.Equal("0C", Assert.Single(store.FindCertificates(CertificateKind.Client, "bob")).Serial);
        Assert.Equal("0A", Assert.Single(store.FindCertificates(normalizedName: "chat.example")).Serial);
        Assert.Null(store.GetCertificate("FF"));
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task A_renewal_links_both_certificates_and_a_second_renewal_of_the_same_one_is_refused(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        store.AddCertificate(Client("01", "alice", Now), uniqueClientName: true, Now);
        store.AddRenewal(Client("02", "alice", Now.AddDays(1), renewedFrom: "01"));

        Assert.Equal("02", store.GetCertificate("01")!.RenewedBy);
        Assert.Equal("01", store.GetCertificate("02")!.RenewedFrom);
        var again = Assert.Throws<OpenChatException>(() => store.AddRenewal(Client("03", "alice", Now.AddDays(2), renewedFrom: "01")));
        Assert.Equal(ErrorIds.CertificateAlreadyRenewed, again.ErrorId);
        Assert.Null(store.GetCertificate("03"));
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task A_renewal_of_a_revoked_or_unknown_certificate_stores_nothing(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        store.AddCertificate(Client("01", "alice", Now), uniqueClientName: true, Now);
        store.RevokeCertificate("01", Now, X509RevocationReason.KeyCompromise);

        var revoked = Assert.Throws<OpenChatException>(() => store.AddRenewal(Client("02", "alice", Now, renewedFrom: "01")));
        var unknown = Assert.Throws<OpenChatException>(() => store.AddRenewal(Client("03", "alice", Now, renewedFrom: "99")));

        Assert.Equal(ErrorIds.RenewalOfRevokedCertificate, revoked.ErrorId);
        Assert.Equal(ErrorIds.CertificateNotFromCa, unknown.ErrorId);
        Assert.Single(store.FindCertificates());
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Revoking_a_renewed_certificate_revokes_its_chain_and_cancels_the_users_pending_invites(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        store.AddCertificate(Client("01", "alice", Now), uniqueClientName: true, Now);
        store.AddRenewal(Client("02", "alice", Now, renewedFrom: "01"));
        store.AddRenewal(Client("03", "alice", Now, renewedFrom: "02"));
        store.AddInvite(Invite("i1", "Alice", Now, additionalDevice: true));
        store.AddInvite(Invite("i2", "bob", Now));

        var cancelled = store.RevokeCertificate("02", Now.AddMinutes(1), X509RevocationReason.KeyCompromise, "alice was revoked");

        Assert.Equal(["i1"], cancelled);
        Assert.All(store.FindCertificates(), c => Assert.Equal(Now.AddMinutes(1), c.RevokedAt));
        Assert.Equal("alice was revoked", store.GetInvite("i1")!.CancelReason);
        Assert.Equal(InviteStatus.Pending, store.GetInvite("i2")!.StatusAt(Now.AddMinutes(1)));
        Assert.Equal(["01", "02", "03"], store.RevokedSince(Now.AddMinutes(1)).Order());
        Assert.Empty(store.RevokedSince(Now.AddMinutes(2)));
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Revoking_one_of_two_devices_keeps_the_users_invites(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        store.AddCertificate(Client("01", "alice", Now), uniqueClientName: true, Now);
        store.AddCertificate(Client("02", "alice", Now), uniqueClientName: false, Now);
        store.AddInvite(Invite("i1", "alice", Now, additionalDevice: true));

        Assert.Equal([], store.RevokeCertificate("01", Now, X509RevocationReason.Unspecified, "why"));
        Assert.Equal(InviteStatus.Pending, store.GetInvite("i1")!.StatusAt(Now));
        Assert.Null(store.GetCertificate("02")!.RevokedAt);
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task An_invite_reads_back_as_stored_and_is_redeemed_once_and_an_expired_or_cancelled_one_never(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        store.AddInvite(Invite("i1", "alice", Now));
        store.AddInvite(Invite("i2", "bob", Now, additionalDevice: true));
        store.AddInvite(Invite("i3", "carol", Now));

        var bob = store.GetInvite("i2")!;
        Assert.Equal(Invite("i2", "bob", Now, additionalDevice: true) with { Verifier = bob.Verifier }, bob);
        Assert.Equal([9, 8, 7], bob.Verifier);
        Assert.True(store.TryRedeemInvite("i1", Now.AddMinutes(1)));
        Assert.False(store.TryRedeemInvite("i1", Now.AddMinutes(2)));
        Assert.Equal(Now.AddMinutes(1), store.GetInvite("i1")!.RedeemedAt);
        Assert.False(store.TryRedeemInvite("i2", Now.AddDays(2)));
        Assert.True(store.TryRevokeInvite("i3", Now));
        Assert.False(store.TryRevokeInvite("i3", Now));
        Assert.False(store.TryRedeemInvite("i3", Now));
        Assert.False(store.TryRevokeInvite("i1", Now));
        Assert.Null(store.GetInvite("nope"));
        Assert.Equal(["i1", "i2", "i3"], store.FindInvites().Select(i => i.Id));
        Assert.Equal("i2", Assert.Single(store.FindInvites("bob")).Id);
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Cancelling_a_users_pending_invites_names_them_and_records_why(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        store.AddInvite(Invite("i1", "alice", Now));
        store.AddInvite(Invite("i2", "alice", Now.AddSeconds(1)));
        store.AddInvite(Invite("i3", "bob", Now));
        store.TryRedeemInvite("i2", Now);

        Assert.Equal(["i1"], store.CancelPendingInvites("alice", Now, "replaced"));
        Assert.Equal("replaced", store.GetInvite("i1")!.CancelReason);
        Assert.Null(store.GetInvite("i2")!.CancelReason);
        Assert.Empty(store.CancelPendingInvites("alice", Now, "again"));
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task A_look_alike_name_is_refused_for_a_certificate_and_an_invite_but_a_known_name_is_not(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var store = under.Store;
        store.AddCertificate(Client("01", "alice", Now), uniqueClientName: true, Now);
        store.AddInvite(Invite("i1", "bob", Now));

        Assert.Equal("alice", store.LookalikeOf("aIice", Now));
        Assert.Equal("bob", store.LookalikeOf("b0b", Now));
        Assert.Null(store.LookalikeOf("ALICE", Now));
        Assert.Null(store.LookalikeOf("b0b", Now.AddDays(2))); // bob's invite expired by then
        var certificate = Assert.Throws<OpenChatException>(() => store.AddCertificate(Client("02", "a1ice", Now), uniqueClientName: true, Now));
        var invite = Assert.Throws<OpenChatException>(() => store.AddInvite(Invite("i2", "aIice", Now)));
        Assert.Equal(ErrorIds.UserNameConfusable, certificate.ErrorId);
        Assert.Equal(ErrorIds.UserNameConfusable, invite.ErrorId);
        Assert.Single(store.FindCertificates());
        Assert.Single(store.FindInvites());

        store.RevokeCertificate("01", Now, X509RevocationReason.Unspecified);
        Assert.Null(store.LookalikeOf("aIice", Now)); // a revoked user is no one's to imitate
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Two_instances_redeeming_one_invite_at_once_redeem_it_once(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var stores = new[] { under.Store, under.OpenAnother() };
        const int Invites = 10;
        for (var i = 0; i < Invites; i++)
        {
            under.Store.AddInvite(Invite($"i{i}", $"user{i}", Now));
        }

        var redeemed = await Task.WhenAll(Enumerable.Range(0, Invites).Select(async i =>
        {
            using var start = new Barrier(2);
            var both = await Task.WhenAll(stores.Select(store => Task.Run(() =>
            {
                start.SignalAndWait();
                return store.TryRedeemInvite($"i{i}", Now);
            })));
            return both.Count(won => won);
        }));

        Assert.All(redeemed, count => Assert.Equal(1, count));
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Two_instances_issuing_one_name_at_once_issue_it_once(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var stores = new[] { under.Store, under.OpenAnother() };
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            using var start = new Barrier(2);
            return await Task.WhenAll(stores.Select((store, s) => Task.Run(() =>
            {
                start.SignalAndWait();
                try
                {
                    store.AddCertificate(Client($"{i:X2}{s}", $"user{i}", Now), uniqueClientName: true, Now);
                    return "issued";
                }
                catch (OpenChatException e)
                {
                    return e.ErrorId;
                }
            })));
        }));

        Assert.All(outcomes, pair => Assert.Equal(["issued", ErrorIds.UserNameTaken], pair.Order()));
        Assert.Equal(10, under.OpenAnother().FindCertificates().Count);
    }

    [Theory, OnSqliteCaStore, OnPostgresCaStore]
    public async Task Crl_numbers_taken_by_two_instances_at_once_are_unique_and_gap_free(CaStoreKind kind)
    {
        using var under = await CaStoreUnderTest.CreateAsync(kind);
        var stores = new[] { under.Store, under.OpenAnother() };

        var numbers = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => stores[i % 2].NextCrlNumber())));

        Assert.Equal(Enumerable.Range(1, 40).Select(n => (long)n), numbers.Order());
    }

    private static CertificateRecord Client(string serial, string name, DateTimeOffset issued, string? renewedFrom = null) =>
        new(serial, CertificateKind.Client, name, "thumb-" + serial, issued, issued.AddDays(30), issued, [1, 2, 3], RenewedFrom: renewedFrom);

    private static InviteRecord Invite(string id, string user, DateTimeOffset created, bool additionalDevice = false) =>
        new(id, user, [9, 8, 7], "localhost:7443", created, created.AddDays(1), additionalDevice);
}
