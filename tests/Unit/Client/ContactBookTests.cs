using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine;
using OpenChat.Engine.Client;

namespace OpenChat.Tests.Unit.Client;

/// <summary>Safety numbers and confirming them: both sides compute the same number, and a number
/// shown before a device was slipped in confirms nothing.</summary>
public sealed class ContactBookTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("openchat-contacts-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static X509Certificate2 Device(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
    }

    private ContactBook Book(string owner)
    {
        var folder = Path.Combine(_folder, owner);
        Directory.CreateDirectory(folder);
        return new ContactBook(folder);
    }

    [Fact]
    public void Both_sides_compute_the_same_safety_number()
    {
        using var alicePhone = Device("alice");
        using var bobLaptop = Device("bob");
        var atAlice = Book("alice");
        var atBob = Book("bob");
        atAlice.Observe("bob", bobLaptop, DateTimeOffset.UnixEpoch);
        atBob.Observe("alice", alicePhone, DateTimeOffset.UnixEpoch);

        var seenByAlice = atAlice.SafetyNumberWith("alice", ContactBook.DeviceFingerprint(alicePhone), "bob");
        var seenByBob = atBob.SafetyNumberWith("bob", ContactBook.DeviceFingerprint(bobLaptop), "alice");
        Assert.NotNull(seenByAlice);
        Assert.Equal(seenByAlice, seenByBob);
        Assert.Null(atAlice.SafetyNumberWith("alice", ContactBook.DeviceFingerprint(alicePhone), "carol"));
    }

    [Fact]
    public void A_number_shown_before_a_new_device_appeared_confirms_nothing()
    {
        using var alicePhone = Device("alice");
        using var bobLaptop = Device("bob");
        using var slippedIn = Device("bob");
        var book = Book("alice");
        var own = ContactBook.DeviceFingerprint(alicePhone);
        book.Observe("bob", bobLaptop, DateTimeOffset.UnixEpoch);
        var shown = book.SafetyNumberWith("alice", own, "bob");
        book.Observe("bob", slippedIn, DateTimeOffset.UnixEpoch);

        var refused = Assert.Throws<OpenChatException>(() => book.ConfirmShown("alice", own, "bob", shown));
        Assert.Equal(ErrorIds.SafetyNumberChanged, refused.ErrorId);
        Assert.Equal(ContactTrust.Changed, book.Find("bob")!.Trust);

        var current = book.SafetyNumberWith("alice", own, "bob");
        Assert.Equal(ContactTrust.Verified, book.ConfirmShown("alice", own, "bob", current).Trust);
        Assert.Empty(book.Others("bob"));
        Assert.Single(book.Others("alice"));
    }
}
