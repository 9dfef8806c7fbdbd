using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Engine;
using OpenChat.Engine.Server;

namespace OpenChat.Tests.Unit.Server;

/// <summary>The limits at accept, without sockets: per address, for the whole server, for enrollments.</summary>
public class ConnectionAdmissionTests
{
    private static readonly IPAddress Flooder = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress Other = IPAddress.Parse("198.51.100.9");

    private static ConnectionAdmission Admission(ChatServerOptions options)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        var context = SslStreamCertificateContext.Create(X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null), null, offline: true);
        return new ConnectionAdmission(options, new BusyRefusal(() => context, TimeSpan.FromSeconds(1), NullLogger.Instance), NullLogger.Instance);
    }

    [Fact]
    public void The_65th_pending_connection_from_one_address_is_refused_and_another_address_is_admitted()
    {
        var admission = Admission(new ChatServerOptions());
        for (var i = 0; i < 64; i++)
        {
            Assert.Equal(AdmissionVerdict.Admitted, admission.Admit(Flooder, openConnections: 0));
        }

        Assert.Equal(AdmissionVerdict.TooManyFromAddress, admission.Admit(Flooder, openConnections: 0));
        Assert.Equal(AdmissionVerdict.Admitted, admission.Admit(Other, openConnections: 0));
        Assert.Equal(65, admission.Accepted);
        Assert.Equal(1, admission.Refused);
    }

    [Fact]
    public void A_finished_handshake_frees_its_place_for_the_same_address()
    {
        var admission = Admission(new ChatServerOptions { MaxPendingPerAddress = 2 });
        admission.Admit(Flooder, 0);
        admission.Admit(Flooder, 0);
        Assert.Equal(AdmissionVerdict.TooManyFromAddress, admission.Admit(Flooder, 0));

        admission.HandshakeEnded(Flooder);
        Assert.Equal(1, admission.Handshaking);
        Assert.Equal(AdmissionVerdict.Admitted, admission.Admit(Flooder, 0));
    }

    [Fact]
    public void Open_connections_and_handshakes_together_are_held_to_MaxConnections()
    {
        var admission = Admission(new ChatServerOptions { MaxConnections = 10 });
        Assert.Equal(AdmissionVerdict.Admitted, admission.Admit(Flooder, openConnections: 8));
        Assert.Equal(AdmissionVerdict.Admitted, admission.Admit(Other, openConnections: 8));
        Assert.Equal(AdmissionVerdict.ServerFull, admission.Admit(IPAddress.Loopback, openConnections: 8));

        admission.HandshakeEnded(Flooder);
        Assert.Equal(AdmissionVerdict.Admitted, admission.Admit(IPAddress.Loopback, openConnections: 8));
    }

    [Fact]
    public void Enrollments_beyond_their_share_are_refused_until_one_ends()
    {
        var admission = Admission(new ChatServerOptions { MaxEnrollmentConnections = 2 });
        Assert.True(admission.TryBeginEnrollment(Flooder, "192.0.2.7:1", out _));
        Assert.True(admission.TryBeginEnrollment(Flooder, "192.0.2.7:2", out _));
        Assert.False(admission.TryBeginEnrollment(Flooder, "192.0.2.7:3", out _));
        Assert.Equal(1, admission.Refused);

        admission.EnrollmentEnded(Flooder);
        Assert.True(admission.TryBeginEnrollment(Flooder, "192.0.2.7:4", out _));
    }

    [Fact]
    public void Enrollments_from_one_address_beyond_its_share_are_refused_and_another_address_is_not()
    {
        var admission = Admission(new ChatServerOptions { MaxEnrollmentConnectionsPerAddress = 2 });
        Assert.True(admission.TryBeginEnrollment(Flooder, "192.0.2.7:1", out _));
        Assert.True(admission.TryBeginEnrollment(Flooder, "192.0.2.7:2", out _));

        Assert.False(admission.TryBeginEnrollment(Flooder, "192.0.2.7:3", out var refusal));
        Assert.Equal(ErrorIds.TooManyConnections, refusal.Code);
        Assert.True(admission.TryBeginEnrollment(Other, "198.51.100.9:1", out _));

        admission.EnrollmentEnded(Flooder);
        Assert.True(admission.TryBeginEnrollment(Flooder, "192.0.2.7:4", out _));
    }

    [Fact]
    public void Sessions_are_capped_per_user_and_per_address_and_a_refusal_holds_no_place()
    {
        var admission = Admission(new ChatServerOptions { MaxConnectionsPerUser = 2, MaxConnectionsPerAddress = 3 });
        Assert.True(admission.TryBeginSession("mallory", Flooder, "a", out _));
        Assert.True(admission.TryBeginSession("mallory", Other, "b", out _));

        Assert.False(admission.TryBeginSession("mallory", Flooder, "c", out var perUser));
        Assert.Equal(ErrorIds.TooManyConnections, perUser.Code);
        Assert.Equal(2, admission.SessionsOf("mallory"));

        Assert.True(admission.TryBeginSession("bob", Flooder, "d", out _));
        Assert.True(admission.TryBeginSession("carol", Flooder, "e", out _));
        Assert.False(admission.TryBeginSession("dave", Flooder, "f", out var perAddress));
        Assert.Equal(ErrorIds.TooManyConnections, perAddress.Code);
        Assert.Equal(0, admission.SessionsOf("dave"));
        Assert.True(admission.TryBeginSession("dave", Other, "g", out _));

        admission.SessionEnded("mallory", Flooder);
        Assert.True(admission.TryBeginSession("mallory", Flooder, "h", out _));
    }
}
