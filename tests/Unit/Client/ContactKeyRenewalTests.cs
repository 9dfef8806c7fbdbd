using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Client;
using OpenChat.Engine.Group;
using Xunit;

namespace OpenChat.Tests.Unit.Client;

/// <summary>What renewals do to a contact: a renewed certificate with the same key is nothing, a
/// new key handed over from a pinned device replaces it and keeps the trust, and any other new key
/// is the loud change. (Handovers reach the book verified with their key package.)</summary>
public sealed class ContactKeyRenewalTests : IDisposable
{
    private static readonly DateTimeOffset Seen = DateTimeOffset.UnixEpoch.AddDays(1);
    private static readonly DateTimeOffset Later = Seen.AddDays(200);

    private readonly string _folder = Directory.CreateTempSubdirectory("openchat-renewals-").FullName;
    private readonly List<IDisposable> _made = [];

    public void Dispose()
    {
        _made.ForEach(d => d.Dispose());
        Directory.Delete(_folder, recursive: true);
    }

    private ECDsa Key()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _made.Add(key);
        return key;
    }

    private X509Certificate2 Certificate(ECDsa key, string name = "bob")
    {
        var certificate = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        _made.Add(certificate);
        return certificate;
    }

    private ContactBook Book() => new(_folder);

    [Fact]
    public void A_renewed_certificate_with_the_same_key_changes_nothing()
    {
        var key = Key();
        var book = Book();
        book.ObserveKey("bob", Certificate(key), Seen, null);
        book.Confirm("bob");

        Assert.Equal(ContactKeyChange.None, book.ObserveKey("bob", Certificate(key), Later, null));

        var bob = book.Find("bob")!;
        Assert.Equal(ContactTrust.Verified, bob.Trust);
        Assert.Null(bob.ChangedAt);
        Assert.Null(bob.KeyRenewedAt);
    }

    [Fact]
    public void A_new_key_handed_over_from_a_pinned_device_replaces_it_and_keeps_the_trust()
    {
        var oldKey = Key();
        var newKey = Key();
        var old = Certificate(oldKey);
        var book = Book();
        book.ObserveKey("bob", old, Seen, null);
        book.Confirm("bob");

        var handover = KeyHandover.Create(old, oldKey, newKey, Later);
        Assert.Equal(ContactKeyChange.Renewed, book.ObserveKey("bob", Certificate(newKey), Later, handover));

        var bob = Book().Find("bob")!; // as saved
        Assert.Equal(ContactTrust.Verified, bob.Trust);
        Assert.Equal([ContactBook.DeviceFingerprint(Certificate(newKey))], bob.Devices);
        Assert.Equal([ContactBook.DeviceFingerprint(old)], bob.ReplacedDevices);
        Assert.Equal(Later, bob.KeyRenewedAt);
        Assert.Null(bob.ChangedAt);
    }

    [Fact]
    public void A_new_key_without_a_handover_is_a_change()
    {
        var book = Book();
        book.ObserveKey("bob", Certificate(Key()), Seen, null);
        book.Confirm("bob");

        Assert.Equal(ContactKeyChange.Changed, book.ObserveKey("bob", Certificate(Key()), Later, null));
        Assert.Equal(ContactTrust.Changed, book.Find("bob")!.Trust);
        Assert.Null(book.Find("bob")!.KeyRenewedAt);
    }

    [Fact]
    public void A_handover_from_a_key_that_is_not_pinned_vouches_for_nothing()
    {
        var strangerKey = Key();
        var newKey = Key();
        var book = Book();
        book.ObserveKey("bob", Certificate(Key()), Seen, null);
        book.Confirm("bob");

        var handover = KeyHandover.Create(Certificate(strangerKey), strangerKey, newKey, Later);
        Assert.Equal(ContactKeyChange.Changed, book.ObserveKey("bob", Certificate(newKey), Later, handover));
        Assert.Equal(ContactTrust.Changed, book.Find("bob")!.Trust);
    }

    [Fact]
    public void A_handover_from_a_key_already_replaced_is_a_change()
    {
        // Someone holding bob's old key, after bob moved on, hands "his" device over again.
        var oldKey = Key();
        var newKey = Key();
        var thiefKey = Key();
        var old = Certificate(oldKey);
        var book = Book();
        book.ObserveKey("bob", old, Seen, null);
        book.Confirm("bob");
        book.ObserveKey("bob", Certificate(newKey), Later, KeyHandover.Create(old, oldKey, newKey, Later));

        var again = KeyHandover.Create(old, oldKey, thiefKey, Later.AddDays(1));
        Assert.Equal(ContactKeyChange.Changed, book.ObserveKey("bob", Certificate(thiefKey), Later.AddDays(1), again));
        Assert.Equal(ContactTrust.Changed, book.Find("bob")!.Trust);
    }

    [Fact]
    public void A_key_renewed_notice_keeps_its_kind_when_saved()
    {
        var message = new SecureMessage("ops", 3, "bob", "0a", "", Seen, Seen, true, ContactTrust.Verified, null, 1, false, 0)
        {
            IsNotice = true,
            Notice = new KeyRenewedNotice("bob"),
        };

        var json = System.Text.Json.JsonSerializer.Serialize(message, OpenChat.Engine.Client.History.HistoryJson.Default.SecureMessage);
        var back = System.Text.Json.JsonSerializer.Deserialize(json, OpenChat.Engine.Client.History.HistoryJson.Default.SecureMessage)!;

        Assert.Equal(new KeyRenewedNotice("bob"), back.Notice);
    }
}
