using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
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
        Assert.True(admission.TryBeginEnrollment("192.0.2.7:1"));
        Assert.True(admission.TryBeginEnrollment("192.0.2.7:2"));
        Assert.False(admission.TryBeginEnrollment("192.0.2.7:3"));
        Assert.Equal(1, admission.Refused);

        admission.EnrollmentEnded();
        Assert.True(admission.TryBeginEnrollment("192.0.2.7:4"));
    }
}
