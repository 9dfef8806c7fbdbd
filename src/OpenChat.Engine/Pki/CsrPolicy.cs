using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Engine.Pki;

/// <summary>
/// Decides whether a certificate signing request made elsewhere may become a client
/// certificate for a given user. Only the request's public key survives: the subject is rebuilt
/// from the approved name and no requested extension is ever copied.
/// </summary>
public static class CsrPolicy
{
    public const int MaxPemLength = 16 * 1024;

    /// <summary>Returns the request's public key after every check passed; throws
    /// <see cref="OpenChatException"/> naming the rule that failed otherwise.</summary>
    public static PublicKey Check(string csrPem, string userName)
    {
        UserNamePolicy.Validate(userName);
        var request = Parse(csrPem);

        if (!CertificateProfile.IsP256(request.PublicKey))
        {
            throw new OpenChatException(ErrorIds.CsrKeyNotAllowed, ErrorKind.PolicyViolation,
                "The request's key is not allowed: client certificates need an EC key on the P-256 curve.");
        }

        var commonNames = CommonNames(request.SubjectName);
        if (commonNames.Count != 1 || !string.Equals(commonNames[0], userName, StringComparison.OrdinalIgnoreCase)
            || OtherSubjectAttributes(request.SubjectName))
        {
            throw new OpenChatException(ErrorIds.CsrSubjectMismatch, ErrorKind.PolicyViolation,
                $"The request's subject '{UserNamePolicy.Printable(request.SubjectName.Name)}' does not match the user '{userName}'. The subject must be exactly CN={userName} (case aside).");
        }

        return request.PublicKey;
    }

    private static CertificateRequest Parse(string csrPem)
    {
        if (string.IsNullOrWhiteSpace(csrPem) || csrPem.Length > MaxPemLength)
        {
            throw Malformed(null);
        }

        try
        {
            // The default options verify the request's self-signature and ignore its extensions.
            return CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256);
        }
        catch (NotSupportedException e)
        {
            // A key algorithm .NET cannot even load (Ed25519, for one) is certainly not P-256.
            throw new OpenChatException(ErrorIds.CsrKeyNotAllowed, ErrorKind.PolicyViolation,
                "The request's key is not allowed: client certificates need an EC key on the P-256 curve.", e);
        }
        catch (CryptographicException e) when (IsSignatureFailure(csrPem))
        {
            throw new OpenChatException(ErrorIds.CsrSignatureInvalid, ErrorKind.PolicyViolation,
                "The request's signature does not verify: it was altered or not signed by its own key.", e);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            throw Malformed(e);
        }
    }

    // Tells a well-formed request with a bad signature apart from garbage: the same bytes load
    // when signature checking is skipped.
    private static bool IsSignatureFailure(string csrPem)
    {
        try
        {
            CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.SkipSignatureValidation);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException or NotSupportedException)
        {
            return false;
        }
    }

    private static OpenChatException Malformed(Exception? inner) =>
        new(ErrorIds.CsrMalformed, ErrorKind.InvalidData,
            "The certificate request is not a PEM PKCS#10 request ('-----BEGIN CERTIFICATE REQUEST-----').", inner);

    private static List<string> CommonNames(X500DistinguishedName name) =>
        name.EnumerateRelativeDistinguishedNames()
            .Where(rdn => rdn.GetSingleElementType().Value == "2.5.4.3")
            .Select(rdn => rdn.GetSingleElementValue() ?? "")
            .ToList();

    private static bool OtherSubjectAttributes(X500DistinguishedName name) =>
        name.EnumerateRelativeDistinguishedNames().Any(rdn => rdn.HasMultipleElements || rdn.GetSingleElementType().Value != "2.5.4.3");
}
