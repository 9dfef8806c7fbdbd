using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using OpenChat.Tests.Unit.Support;
using Xunit;

namespace OpenChat.Tests.Unit.Server;

/// <summary>A device that sleeps through a CA rollover and past its own certificate's end: its
/// renewal (within the grace window) is issued under the new root, which it learns on the
/// renewal-only connection from the root offer and its cross-certificate, so it renews instead
/// of being locked out (a certificate renews only once).</summary>
public sealed class CaRolloverRenewalTests
{
    [Fact]
    public async Task A_device_offline_through_a_rollover_and_past_its_expiry_renews_under_the_new_root()
    {
        using var temp = new TempDirectory();
        var clock = new ManualTime(DateTimeOffset.UtcNow);
        var data = temp.Combine("server");
        var directory = CertificateAuthority.Create(data, "Sleeper CA", "", time: clock);
        using (var ca = CertificateAuthority.Open(directory, "", clock))
        {
            ca.IssueServer(["localhost"], [System.Net.IPAddress.Loopback]).Certificate.Dispose();
        }

        var server = await OpenChat.Engine.Server.ChatServer.StartAsync(data, new ChatServerOptions { Port = 0, Time = clock });
        var address = $"127.0.0.1:{server.Endpoint.Port}";
        var (_, invite) = new InviteBook(new CaDirectory(data), clock).Create("dan", server: address);
        var profile = await ChatEnrollment.RegisterAsync(invite.ToString(), temp.Combine("profiles"), ReadOnlyMemory<char>.Empty,
            TimeSpan.FromSeconds(10), CancellationToken.None, clock);
        var oldRoot = profile.LoadCaCertificate().Subject;
        await server.StopAsync();

        var rollover = OpenChat.Engine.Server.ChatServer.RollOverCertificateAuthority(data, "", "", keepPassword: true, time: clock);
        clock.Advance(TimeSpan.FromDays(CertificateAuthority.DefaultClientValidDays + 1));
        server = await OpenChat.Engine.Server.ChatServer.StartAsync(data, new ChatServerOptions { Port = 0, Time = clock });
        try
        {
            var options = new ChatClientOptions { Server = $"127.0.0.1:{server.Endpoint.Port}", Time = clock };
            await using var client = await ChatClient.ConnectAsync(profile, ReadOnlyMemory<char>.Empty, options);

            using var renewed = profile.LoadPublicCertificate();
            Assert.Equal(rollover.Subject, renewed.Issuer);
            Assert.True(renewed.NotAfter.ToUniversalTime() > clock.GetUtcNow().UtcDateTime);
            var pinned = client.PinnedRoots.Live().Select(r => r.Subject).ToList();
            Assert.Contains(oldRoot, pinned);
            Assert.Contains(rollover.Subject, pinned);
        }
        finally
        {
            await server.StopAsync();
        }
    }
}
