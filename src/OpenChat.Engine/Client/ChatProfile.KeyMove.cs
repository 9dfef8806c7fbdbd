using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OpenChat.Engine.Group;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

/// <summary>
/// Moving the device to a new key without a moment where the profile cannot be opened: the new
/// certificate, handover and key are first written beside the current ones (".next", the key
/// last), then the end-to-end files are re-encrypted to the new key (<see cref="DeviceKeyMove"/>,
/// which may run again), then the files are renamed into place, the key last. Whoever opens the
/// identity next finishes a move a crash cut short: the ".next" key's presence says one was
/// staged completely, and both keys open under the identity's one password.
/// </summary>
public sealed partial class ChatProfile
{
    private const string Next = ".next";

    private string Pending(string file) => System.IO.Path.Combine(Path, file + Next);

    private string Current(string file) => System.IO.Path.Combine(Path, file);

    /// <summary>Stores <paramref name="renewed"/> (for <paramref name="nextKey"/>) with its handover
    /// and moves the profile's end-to-end files to the new key.</summary>
    internal void MoveToNewKey(X509Certificate2 renewed, ECDsa previousKey, ECDsa nextKey, KeyHandover handover, ReadOnlySpan<char> password)
    {
        StageKeyMove(renewed, nextKey, handover, password);
        CompleteKeyMove(previousKey, nextKey);
    }

    /// <summary>The first half of <see cref="MoveToNewKey"/>: everything written beside the current files.</summary>
    internal void StageKeyMove(X509Certificate2 renewed, ECDsa nextKey, KeyHandover handover, ReadOnlySpan<char> password)
    {
        SecureFile.WriteAllText(Pending(CertificateFile), renewed.ExportCertificatePem(), overwrite: true);
        SecureFile.WriteAllBytes(Pending(HandoverFile), handover.ToBytes(), overwrite: true);
        // The key last: its presence is what says the move was staged whole.
        SecureFile.WriteAllText(Pending(KeyFile), CaKeyFile.Export(nextKey, password), overwrite: true);
    }

    /// <summary>Finishes a staged move, if there is one (see the type's summary); a half-written
    /// stage (no ".next" key) is removed, leaving the current identity as it was.</summary>
    internal void ResumeKeyMove(ReadOnlySpan<char> password)
    {
        if (!File.Exists(Pending(KeyFile)))
        {
            File.Delete(Pending(CertificateFile));
            File.Delete(Pending(HandoverFile));
            return;
        }

        using var previous = CaKeyFile.Import(File.ReadAllText(Current(KeyFile)), password);
        using var next = CaKeyFile.Import(File.ReadAllText(Pending(KeyFile)), password);
        CompleteKeyMove(previous, next);
    }

    private void CompleteKeyMove(ECDsa previousKey, ECDsa nextKey)
    {
        DeviceKeyMove.Move(Path, previousKey, nextKey);
        if (File.Exists(Pending(CertificateFile)))
        {
            using (var renewed = X509Certificate2.CreateFromPem(File.ReadAllText(Pending(CertificateFile))))
            {
                Info.Serial = renewed.SerialNumber;
            }

            File.Move(Pending(CertificateFile), Current(CertificateFile), overwrite: true);
        }

        if (File.Exists(Pending(HandoverFile)))
        {
            File.Move(Pending(HandoverFile), Current(HandoverFile), overwrite: true);
        }

        SecureFile.WriteAllBytes(Current(InfoFile), JsonSerializer.SerializeToUtf8Bytes(Info, ProfileJson.Default.ProfileInfo), overwrite: true);
        File.Move(Pending(KeyFile), Current(KeyFile), overwrite: true);
    }
}
