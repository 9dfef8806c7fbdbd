using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>This device's keys as a group member.</summary>
public sealed class GroupIdentity : IDisposable
{
    public GroupIdentity(X509Certificate2 certificate, ECDsa signingKey, ECDiffieHellman agreementKey, DateTimeOffset now)
    {
        Certificate = certificate;
        SigningKey = signingKey;
        AgreementKey = agreementKey;
        Package = KeyPackage.Create(certificate, signingKey, agreementKey, now);
    }

    /// <summary>Resumes with the key package published earlier (it must stay the same one).</summary>
    public GroupIdentity(X509Certificate2 certificate, ECDsa signingKey, ECDiffieHellman agreementKey, KeyPackage package)
    {
        Certificate = certificate;
        SigningKey = signingKey;
        AgreementKey = agreementKey;
        Package = package;
    }

    public X509Certificate2 Certificate { get; }

    public ECDsa SigningKey { get; }

    public ECDiffieHellman AgreementKey { get; }

    public KeyPackage Package { get; }

    public string UserName => Package.UserName;

    public string Serial => Certificate.SerialNumber;

    public void Dispose()
    {
        SigningKey.Dispose();
        AgreementKey.Dispose();
    }
}
