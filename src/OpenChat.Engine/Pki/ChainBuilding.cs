using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Pki;

/// <summary>
/// Building a chain for a certificate someone else supplied. On Linux, X509Chain.Build throws
/// (OpenSSL's "internal error") for a certificate that parses but whose public key does not
/// decode, a point off the curve for one; found by fuzzing key packages. Such a certificate
/// chains to nothing, so that is the answer, as for any other that does not verify.
/// </summary>
internal static class ChainBuilding
{
    public static bool Chains(X509Chain chain, X509Certificate2 certificate)
    {
        try
        {
            return chain.Build(certificate);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
