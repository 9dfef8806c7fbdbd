using System.Security.Cryptography;
using OpenChat.Engine.Client;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Pki;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Client;

/// <summary>Moving a profile's end-to-end files (e2e.state, history.db) to a new key.</summary>
public sealed class DeviceKeyMoveTests
{
    [Fact]
    public async Task A_move_cut_short_is_completed_by_running_it_again_and_a_foreign_key_is_refused()
    {
        await using var h = await ChatHarness.StartAsync();
        var profile = await h.EnrollAsync("alice");
        var session = await h.SecureAsync(profile);
        await session.CreateRoomAsync("ops");
        await session.SendAsync("ops", "kept");
        await session.DisposeAsync();
        using var previous = CaKeyFile.Import(File.ReadAllText(Path.Combine(profile.Path, ChatProfile.KeyFile)), "");
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var foreign = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        DeviceKeyMove.Move(profile.Path, previous, next);
        DeviceKeyMove.Move(profile.Path, previous, next); // again, as after a crash: nothing left to do

        var token = File.ReadAllText(SessionStateStore.PathIn(profile.Path));
        Assert.NotEmpty(Fernet.Decrypt(SessionStateStore.KeyOf(next), token, DateTimeOffset.UtcNow));
        Assert.Throws<CryptoException>(() => Fernet.Decrypt(SessionStateStore.KeyOf(previous), token, DateTimeOffset.UtcNow));
        Assert.Throws<CryptoException>(() => DeviceKeyMove.Move(profile.Path, foreign, previous));
    }
}
