using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OpenChat.Engine.Storage;

namespace OpenChat.Engine.Client;

public enum ContactTrust
{
    /// <summary>Seen and pinned, not yet compared in person.</summary>
    Unverified,

    /// <summary>The user compared safety numbers and marked the contact verified.</summary>
    Verified,

    /// <summary>The contact's keys changed (a new device or a new certificate) since they were pinned.</summary>
    Changed,
}

/// <summary>What this device knows about another user's keys.</summary>
public sealed class ContactRecord
{
    public string UserName { get; set; } = "";

    /// <summary>SHA-256 of each device's certificate public key (SPKI), hex.</summary>
    public List<string> Devices { get; set; } = [];

    public DateTimeOffset FirstSeen { get; set; }

    public DateTimeOffset? ChangedAt { get; set; }

    public ContactTrust Trust { get; set; }

    /// <summary>When a device of the contact last moved to a new key with a handover signed by
    /// its previous one ("renewed its key"); null if none did.</summary>
    public DateTimeOffset? KeyRenewedAt { get; set; }

    /// <summary>Fingerprints of device keys replaced by a handover, oldest first.</summary>
    public List<string> ReplacedDevices { get; set; } = [];
}

/// <summary>What seeing a device key did to a contact.</summary>
public enum ContactKeyChange
{
    /// <summary>The key was pinned already (a renewed certificate with the same key, a repeat).</summary>
    None,

    /// <summary>The contact's first key: pinned, unverified.</summary>
    FirstSeen,

    /// <summary>A pinned device moved to this key with a handover signed by its previous key: the
    /// fingerprint is replaced, the trust kept.</summary>
    Renewed,

    /// <summary>A key nobody vouched for (a new device, a re-enrollment, a substituted key): the contact is Changed.</summary>
    Changed,
}

/// <summary>
/// Trust on first sight, made visible: each contact's device keys are pinned the first time they
/// appear; a later change (new device, re-enrollment, or a key the server substituted) marks
/// the contact Changed until the user compares safety numbers again and confirms.
/// Kept in the profile as contacts.json.
/// </summary>
public sealed partial class ContactBook
{
    public const string FileName = "contacts.json";

    private readonly string _path;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ContactRecord> _contacts;

    public ContactBook(string profilePath)
    {
        _path = Path.Combine(profilePath, FileName);
        _contacts = File.Exists(_path)
            ? (JsonSerializer.Deserialize(File.ReadAllBytes(_path), ContactJson.Default.ListContactRecord) ?? []).ToDictionary(c => c.UserName, StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, ContactRecord>(StringComparer.OrdinalIgnoreCase);
    }

    public static string DeviceFingerprint(X509Certificate2 certificate) =>
        Convert.ToHexString(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));

    /// <summary>Records a verified device key of <paramref name="userName"/>; returns the contact's trust after it.</summary>
    public ContactTrust Observe(string userName, X509Certificate2 certificate, DateTimeOffset now)
    {
        ObserveKey(userName, certificate, now, null);
        return Find(userName)!.Trust;
    }

    /// <summary>
    /// Records a verified device key of <paramref name="userName"/>. A key already pinned changes
    /// nothing (a renewed certificate keeps its key, so its safety number too). A new key that
    /// <paramref name="handover"/> (verified with its key package) hands over from a pinned
    /// device replaces that device's fingerprint and keeps the trust; any other new key marks
    /// the contact Changed. A handover from a key not pinned here (one replaced already, or
    /// never seen) vouches for nothing.
    /// </summary>
    public ContactKeyChange ObserveKey(string userName, X509Certificate2 certificate, DateTimeOffset now, Group.KeyHandover? handover)
    {
        var fingerprint = DeviceFingerprint(certificate);
        lock (_gate)
        {
            if (!_contacts.TryGetValue(userName, out var contact))
            {
                _contacts[userName] = new ContactRecord { UserName = userName, Devices = [fingerprint], FirstSeen = now, Trust = ContactTrust.Unverified };
                Save();
                return ContactKeyChange.FirstSeen;
            }

            if (contact.Devices.Contains(fingerprint, StringComparer.Ordinal))
            {
                return ContactKeyChange.None;
            }

            var previous = handover is null ? -1 : contact.Devices.IndexOf(handover.PreviousFingerprint);
            if (previous >= 0)
            {
                contact.ReplacedDevices.Add(contact.Devices[previous]);
                contact.Devices[previous] = fingerprint;
                contact.KeyRenewedAt = now;
                Save();
                return ContactKeyChange.Renewed;
            }

            contact.Devices.Add(fingerprint);
            contact.Trust = ContactTrust.Changed;
            contact.ChangedAt = now;
            Save();
            return ContactKeyChange.Changed;
        }
    }

    public ContactRecord? Find(string userName)
    {
        lock (_gate)
        {
            return _contacts.GetValueOrDefault(userName);
        }
    }

    public IReadOnlyList<ContactRecord> All()
    {
        lock (_gate)
        {
            return [.. _contacts.Values.OrderBy(c => c.UserName, StringComparer.OrdinalIgnoreCase)];
        }
    }

    /// <summary>Marks a contact verified. With <paramref name="devicesShown"/>, only if the
    /// contact's devices are still exactly those the person compared the safety number over.</summary>
    public ContactRecord Confirm(string userName, IReadOnlyCollection<string>? devicesShown = null)
    {
        lock (_gate)
        {
            if (!_contacts.TryGetValue(userName, out var contact))
            {
                throw new OpenChatException(ErrorIds.UserNotFound, ErrorKind.NotFound,
                    $"No keys of '{userName}' have been seen yet; share a room with them first.");
            }

            if (devicesShown is not null && !contact.Devices.ToHashSet(StringComparer.Ordinal).SetEquals(devicesShown))
            {
                throw new OpenChatException(ErrorIds.SafetyNumberChanged, ErrorKind.PolicyViolation,
                    $"'{userName}' has a different set of devices than when the safety number was shown; nothing was marked verified. Look at the new number and compare it again.");
            }

            contact.Trust = ContactTrust.Verified;
            contact.ChangedAt = null;
            Save();
            return contact;
        }
    }

    /// <summary>Everyone seen but <paramref name="ownUser"/>.</summary>
    public IReadOnlyList<ContactRecord> Others(string ownUser) =>
        All().Where(c => !string.Equals(c.UserName, ownUser, StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>The safety number <paramref name="ownUser"/> (on the device <paramref name="ownDevice"/>)
    /// compares with <paramref name="userName"/>, or null if unseen.</summary>
    public string? SafetyNumberWith(string ownUser, string ownDevice, string userName)
    {
        var contact = Find(userName);
        if (contact is null)
        {
            return null;
        }

        // Both sides use every device of both users as published in shared rooms.
        var own = (Find(ownUser)?.Devices ?? []).Append(ownDevice).Distinct(StringComparer.Ordinal);
        return SafetyNumber(ownUser, own, contact.UserName, contact.Devices);
    }

    /// <summary>Marks a contact verified. Given the safety number that was shown to the person:
    /// if the contact's devices changed since (a device the server slipped in while they were
    /// comparing), nothing is confirmed.</summary>
    public ContactRecord ConfirmShown(string ownUser, string ownDevice, string userName, string? safetyNumberShown)
    {
        var devices = Find(userName)?.Devices.ToList();
        if (safetyNumberShown is not null && devices is not null
            && !string.Equals(SafetyNumberWith(ownUser, ownDevice, userName), safetyNumberShown, StringComparison.Ordinal))
        {
            throw new OpenChatException(ErrorIds.SafetyNumberChanged, ErrorKind.PolicyViolation,
                $"The safety number with '{userName}' changed since it was shown; nothing was marked verified. Compare the new one.");
        }

        return Confirm(userName, safetyNumberShown is null ? null : devices);
    }

    /// <summary>
    /// The number two people compare: 12 groups of 5 digits from SHA-512 over both users'
    /// fingerprints in a fixed order, so both sides compute the same number.
    /// </summary>
    public static string SafetyNumber(string userA, IEnumerable<string> devicesA, string userB, IEnumerable<string> devicesB)
    {
        var a = UserFingerprint(userA, devicesA);
        var b = UserFingerprint(userB, devicesB);
        var ordered = string.CompareOrdinal(Convert.ToHexString(a), Convert.ToHexString(b)) <= 0 ? a.Concat(b) : b.Concat(a);
        var digest = SHA512.HashData(ordered.ToArray());
        var groups = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            ulong chunk = 0;
            for (var j = 0; j < 5; j++)
            {
                chunk = (chunk << 8) | digest[(i * 5) + j];
            }

            groups.Add((chunk % 100_000).ToString("D5", System.Globalization.CultureInfo.InvariantCulture));
        }

        return string.Join(' ', groups);
    }

    private static byte[] UserFingerprint(string user, IEnumerable<string> devices) =>
        SHA256.HashData(Encoding.UTF8.GetBytes("OpenChat v1 fingerprint\n" + user.ToLowerInvariant() + "\n" + string.Join('\n', devices.Order(StringComparer.Ordinal))));

    private void Save() =>
        SecureFile.WriteAllBytes(_path, JsonSerializer.SerializeToUtf8Bytes(_contacts.Values.ToList(), ContactJson.Default.ListContactRecord), overwrite: true);

    [JsonSerializable(typeof(List<ContactRecord>))]
    [JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
    internal sealed partial class ContactJson : JsonSerializerContext;
}
