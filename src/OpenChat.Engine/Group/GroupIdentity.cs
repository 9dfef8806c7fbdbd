using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChat.Engine.Crypto;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Group;

/// <summary>This device's keys as a group member.</summary>
public sealed class GroupIdentity : IDisposable
{
    /// <param name="handover">The handover from the device's previous key to this certificate's
    /// (the profile's, after a move to a new key), published in the package; null for none.</param>
    public GroupIdentity(X509Certificate2 certificate, ECDsa signingKey, ECDiffieHellman agreementKey, DateTimeOffset now, KeyHandover? handover = null)
    {
        Certificate = certificate;
        SigningKey = signingKey;
        AgreementKey = agreementKey;
        Package = KeyPackage.Create(certificate, signingKey, agreementKey, now, handover);
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

    /// <summary>The same device under a renewed certificate (a new serial): the same signing and
    /// agreement keys, a new package (with <paramref name="handover"/> when the key changed).
    /// The two identities share their keys: dispose only the one kept last.</summary>
    public GroupIdentity Renewed(X509Certificate2 renewed, ECDsa signingKey, DateTimeOffset now, KeyHandover? handover = null) =>
        new(renewed, signingKey, AgreementKey, now, handover);

    public void Dispose()
    {
        SigningKey.Dispose();
        AgreementKey.Dispose();
    }
}
