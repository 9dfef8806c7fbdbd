using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OpenChat.Engine.Pki;

/// <summary>One-time, expiring enrollment invites: created and listed by the admin, redeemed by
/// the server on a new user's behalf.</summary>
public sealed class InviteBook
{
    public static readonly TimeSpan DefaultValidFor = TimeSpan.FromDays(7);
    public static readonly TimeSpan MinValidFor = CertificateLifetime.Minimum;
    public static readonly TimeSpan MaxValidFor = TimeSpan.FromDays(90);
    public const string ServerAddressSetting = "server_address";

    private readonly CaDirectory _directory;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    public InviteBook(CaDirectory directory, TimeProvider? time = null, ILogger? log = null)
    {
        directory.EnsureExists();
        _directory = directory;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
    }

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>The address put in invites when the admin names none: the one the server last
    /// announced, else localhost on the default port.</summary>
    public string DefaultServer =>
        _directory.Store.GetSetting(ServerAddressSetting) ?? ServerNames.FormatAddress("localhost", ServerNames.DefaultPort);

    public (InviteRecord Record, InviteCode Code) Create(string userName, TimeSpan? validFor = null, string? server = null, bool additionalDevice = false)
    {
        UserNamePolicy.Validate(userName);
        var lifetime = validFor ?? DefaultValidFor;
        CertificateLifetime.Check(lifetime, MaxValidFor, "An invite");

        var servers = Addresses(server ?? DefaultServer);
        var address = servers[0];
        var now = Now;
        ClientNames.EnsureAvailable(_directory.Store, userName, additionalDevice, now);

        var serverKey = _directory.ServerKeyPin();
        var secret = RandomNumberGenerator.GetBytes(InviteCode.SecretLength);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var record = new InviteRecord(id, userName, InviteProof.Verifier(secret, id), address, now, now + lifetime, additionalDevice);
        _directory.Store.AddInvite(record);
        PkiLog.InviteCreated(_log, id, userName);
        return (record, new InviteCode(address, _directory.Fingerprint, serverKey, id, userName, secret) { OtherServers = servers[1..] });
    }

    /// <summary>One address, or several nodes of the deployment separated by commas, each host:port.</summary>
    public static string[] Addresses(string server)
    {
        var addresses = server.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(a => ServerNames.ParseAddress(a)).Select(a => ServerNames.FormatAddress(a.Host, a.Port))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (addresses.Length == 0)
        {
            ServerNames.ParseAddress(server); // throws ServerAddressInvalid with its usual message
        }

        if (addresses.Length > 1 + InviteCode.MaxOtherServers)
        {
            throw new OpenChatException(ErrorIds.ServerAddressInvalid, ErrorKind.InvalidArgument,
                $"An invite names at most {1 + InviteCode.MaxOtherServers} nodes; {addresses.Length} were given.");
        }

        return addresses;
    }

    public IReadOnlyList<InviteRecord> Find(string? userName = null, InviteStatus? status = null)
    {
        var now = Now;
        return _directory.Store.FindInvites(userName is null ? null : UserNamePolicy.Normalize(userName))
            .Where(r => status is null || r.StatusAt(now) == status)
            .ToList();
    }

    public InviteRecord Revoke(string id)
    {
        id = id.Trim().ToLowerInvariant();
        _ = _directory.Store.GetInvite(id) ?? throw NotFound();
        if (!_directory.Store.TryRevokeInvite(id, Now))
        {
            throw NotPending(_directory.Store.GetInvite(id)!);
        }

        var cancelled = _directory.Store.GetInvite(id)!;
        PkiLog.InviteCancelled(_log, cancelled.Id, cancelled.UserName);
        return cancelled;
    }

    /// <summary>Cancels every pending invite for <paramref name="userName"/> (a user being revoked
    /// who holds no valid certificate, so there is none to revoke): none of them may bring the
    /// user in afterwards.</summary>
    public IReadOnlyList<InviteRecord> CancelPendingFor(string userName, string reason)
    {
        var ids = _directory.Store.CancelPendingInvites(UserNamePolicy.Normalize(userName), Now, reason);
        return Cancelled(_directory.Store, ids, _log);
    }

    /// <summary>Checks that a claim names a pending invite of this CA and proves its secret for
    /// this connection (<paramref name="serverCertificateHash"/>, <paramref name="nonce"/>) and this
    /// CSR; does not use the invite up.</summary>
    public InviteRecord Check(EnrollmentClaim claim, ReadOnlySpan<byte> serverCertificateHash, ReadOnlySpan<byte> nonce)
    {
        var record = _directory.Store.GetInvite(claim.InviteId) ?? throw NotFound();
        if (record.Verifier.Length == 0 && record.StatusAt(Now) == InviteStatus.Pending)
        {
            throw new OpenChatException(ErrorIds.InviteOutdated, ErrorKind.PolicyViolation,
                $"This invite for '{record.UserName}' is in the old format and can no longer be redeemed. Ask the admin for a new one.");
        }

        var transcript = InviteProof.Transcript(claim.InviteId, claim.UserName, serverCertificateHash, nonce, claim.CertificateRequest);
        if (!InviteProof.Verify(record.Verifier, transcript, claim.Proof))
        {
            throw new OpenChatException(ErrorIds.InviteSecretWrong, ErrorKind.AuthenticationFailed,
                "The proof of the invite's secret does not hold for this connection and this request: the secret is wrong, or the proof was made for another connection, server certificate or certificate request. Copy the whole invite text you were given.");
        }

        if (!string.Equals(claim.UserName, record.UserName, StringComparison.Ordinal))
        {
            throw new OpenChatException(ErrorIds.InviteUserMismatch, ErrorKind.PolicyViolation,
                "The invite names a different user than the one it was issued for.");
        }

        if (record.StatusAt(Now) != InviteStatus.Pending)
        {
            throw NotPending(record);
        }

        return record;
    }

    /// <summary>Uses the invite up; exactly one caller can succeed.</summary>
    /// <summary>Throws, as <see cref="Check"/> would, when the invite is no longer pending now.</summary>
    public void CheckStillPending(InviteRecord record)
    {
        var now = _directory.Store.GetInvite(record.Id) ?? record;
        if (now.StatusAt(Now) != InviteStatus.Pending)
        {
            throw NotPending(now);
        }
    }

    public void Redeem(InviteRecord record)
    {
        if (!_directory.Store.TryRedeemInvite(record.Id, Now))
        {
            throw NotPending(_directory.Store.GetInvite(record.Id) ?? record);
        }

        PkiLog.InviteRedeemed(_log, record.Id, record.UserName);
    }

    /// <summary>The records of invites the store just cancelled, each logged.</summary>
    internal static IReadOnlyList<InviteRecord> Cancelled(Storage.ICaStore store, IEnumerable<string> ids, ILogger log)
    {
        var records = ids.Select(store.GetInvite).OfType<InviteRecord>().ToList();
        foreach (var record in records)
        {
            PkiLog.InviteCancelled(log, record.Id, record.UserName);
        }

        return records;
    }

    private OpenChatException NotPending(InviteRecord record) => record.StatusAt(Now) switch
    {
        InviteStatus.Redeemed => new(ErrorIds.InviteAlreadyRedeemed, ErrorKind.PolicyViolation,
            $"This invite for '{record.UserName}' was already used on {record.RedeemedAt:u}. Ask the admin for a new one."),
        InviteStatus.Revoked => new(ErrorIds.InviteRevoked, ErrorKind.PolicyViolation, record.CancelReason is { } why
            ? $"This invite for '{record.UserName}' was cancelled on {record.RevokedAt:u}: {why}. Ask the admin for a new one."
            : $"This invite for '{record.UserName}' was cancelled by the admin. Ask for a new one."),
        _ => new(ErrorIds.InviteExpired, ErrorKind.PolicyViolation,
            $"This invite for '{record.UserName}' expired on {record.ExpiresAt:u}. Ask the admin for a new one."),
    };

    private static OpenChatException NotFound() =>
        new(ErrorIds.InviteNotFound, ErrorKind.NotFound, "This invite is not known to this server's CA. Check that it was issued for this server.");
}
