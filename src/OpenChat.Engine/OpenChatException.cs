namespace OpenChat.Engine;

/// <summary>What kind of failure an <see cref="OpenChatException"/> is, so that a front end can
/// map it to its own error categories without parsing messages.</summary>
public enum ErrorKind
{
    InvalidArgument,
    InvalidData,
    NotFound,
    AlreadyExists,
    PolicyViolation,
    AuthenticationFailed,
    InvalidOperation,
    Unavailable,

    /// <summary>Over a stated size or count limit (the message says which).</summary>
    LimitExceeded,
}

/// <summary>Every failure the engine reports on purpose. <see cref="ErrorId"/> is stable across
/// releases (scripts and tests match on it); the message says what to do about it and never
/// contains key material.</summary>
public sealed class OpenChatException : Exception
{
    public OpenChatException(string errorId, ErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
    }

    public string ErrorId { get; }

    public ErrorKind Kind { get; }
}

/// <summary>The stable error ids. Renaming one breaks users' scripts.</summary>
public static class ErrorIds
{
    public const string CaNotFound = "CaNotFound";
    public const string DataPathRequired = "DataPathRequired";
    public const string CaAlreadyExists = "CaAlreadyExists";
    public const string CaPasswordRequired = "CaPasswordRequired";
    public const string CaPasswordWrong = "CaPasswordWrong";
    public const string CaKeyInvalid = "CaKeyInvalid";
    public const string CaExpired = "CaExpired";
    public const string CaNameInvalid = "CaNameInvalid";
    public const string CaRolloverInProgress = "CaRolloverInProgress";
    public const string CaRolloverUnsupported = "CaRolloverUnsupported";
    public const string PinnedCaExpired = "PinnedCaExpired";
    public const string ValidityInvalid = "ValidityInvalid";
    public const string ValidityConflict = "ValidityConflict";

    public const string UserNameInvalid = "UserNameInvalid";
    public const string UserNameReserved = "UserNameReserved";
    public const string UserNameTaken = "UserNameTaken";
    public const string UserNameConfusable = "UserNameConfusable";

    public const string CsrMalformed = "CsrMalformed";
    public const string CsrSignatureInvalid = "CsrSignatureInvalid";
    public const string CsrKeyNotAllowed = "CsrKeyNotAllowed";
    public const string CsrSubjectMismatch = "CsrSubjectMismatch";

    public const string ServerNameInvalid = "ServerNameInvalid";

    public const string CertificateNotFound = "CertificateNotFound";
    public const string CertificateAlreadyRevoked = "CertificateAlreadyRevoked";
    public const string SerialInvalid = "SerialInvalid";
    public const string RevocationReasonInvalid = "RevocationReasonInvalid";
    public const string ServerCertificateExists = "ServerCertificateExists";
    public const string RenewalOfRevokedCertificate = "RenewalOfRevokedCertificate";
    public const string RenewalWindowPassed = "RenewalWindowPassed";
    public const string CertificateAlreadyRenewed = "CertificateAlreadyRenewed";
    public const string RenewalRefused = "RenewalRefused";
    public const string RenewalOnly = "RenewalOnly";
    public const string ReenrollUserMismatch = "ReenrollUserMismatch";

    public const string InviteMalformed = "InviteMalformed";
    public const string InviteNotFound = "InviteNotFound";
    public const string InviteExpired = "InviteExpired";
    public const string InviteAlreadyRedeemed = "InviteAlreadyRedeemed";
    public const string InviteRevoked = "InviteRevoked";
    public const string InviteSecretWrong = "InviteSecretWrong";
    public const string InviteUserMismatch = "InviteUserMismatch";
    public const string InviteOutdated = "InviteOutdated";
    public const string ServerKeyMismatch = "ServerKeyMismatch";
    public const string ServerCertificateRevoked = "ServerCertificateRevoked";
    public const string ServerCertificateMissing = "ServerCertificateMissing";
    public const string ServerCertificateExpired = "ServerCertificateExpired";
    public const string ServerAddressInvalid = "ServerAddressInvalid";

    public const string RoomNameInvalid = "RoomNameInvalid";
    public const string RoomNotFound = "RoomNotFound";
    public const string RoomExists = "RoomExists";
    public const string NotAMember = "NotAMember";
    public const string StaleEpoch = "StaleEpoch";
    public const string CommitRefused = "CommitRefused";
    public const string GroupHistoryUnverified = "GroupHistoryUnverified";
    public const string RateLimited = "RateLimited";
    public const string NotEnrolled = "NotEnrolled";
    public const string UserNotFound = "UserNotFound";
    public const string VersionUnsupported = "VersionUnsupported";
    public const string ProtocolViolation = "ProtocolViolation";
    public const string ServerUnreachable = "ServerUnreachable";
    public const string ServerNotTrusted = "ServerNotTrusted";
    public const string ConnectionRefused = "ConnectionRefused";
    public const string ConnectionLost = "ConnectionLost";
    public const string CertificateRevoked = "CertificateRevoked";
    public const string ServerAlreadyRunning = "ServerAlreadyRunning";
    public const string AddressInUse = "AddressInUse";
    public const string ProfileNotFound = "ProfileNotFound";
    public const string ProfileExists = "ProfileExists";
    public const string ProfilePasswordWrong = "ProfilePasswordWrong";
    public const string Timeout = "Timeout";
    public const string NotConnected = "NotConnected";
    public const string CertificateExpired = "CertificateExpired";
    public const string ProfileAmbiguous = "ProfileAmbiguous";
    public const string PeerNotJoined = "PeerNotJoined";
    public const string ProfileInUse = "ProfileInUse";
    public const string NotInteractive = "NotInteractive";

    public const string OutputFileExists = "OutputFileExists";
    public const string PasswordRequired = "PasswordRequired";
    public const string KeyOutputRequired = "KeyOutputRequired";
    public const string UserNameDuplicate = "UserNameDuplicate";
    public const string CertificateFileInvalid = "CertificateFileInvalid";
    public const string CertificatePasswordWrong = "CertificatePasswordWrong";
    public const string CaFingerprintRequired = "CaFingerprintRequired";
    public const string CaFingerprintMismatch = "CaFingerprintMismatch";
    public const string CaFingerprintInvalid = "CaFingerprintInvalid";
    public const string CertificateNotFromCa = "CertificateNotFromCa";
    public const string CertificateNotForClients = "CertificateNotForClients";
    public const string StoreUnavailable = "StoreUnavailable";
    public const string StoreVersionUnsupported = "StoreVersionUnsupported";

    /// <summary>-Database / -Backplane are inconsistent or malformed (a backplane without a
    /// database, a URL that is not nats://, a connection string Npgsql cannot read).</summary>
    public const string InvalidClusterSettings = "InvalidClusterSettings";
    public const string ServerBusy = "ServerBusy";

    /// <summary>The user, or the address, already holds as many connections as the server allows
    /// one of them (MaxConnectionsPerUser, MaxConnectionsPerAddress, MaxEnrollmentConnectionsPerAddress).</summary>
    public const string TooManyConnections = "TooManyConnections";
    public const string MessageTooLarge = "MessageTooLarge";
    public const string SafetyNumberChanged = "SafetyNumberChanged";
    public const string RoomLimitReached = "RoomLimitReached";
    public const string MatchPatternInvalid = "MatchPatternInvalid";

    // Files (Send-ChatFile, Save-ChatFile).
    public const string FileTooLarge = "FileTooLarge";
    public const string FileQuotaExceeded = "FileQuotaExceeded";
    public const string FileNotFound = "FileNotFound";
    public const string FileCorrupt = "FileCorrupt";
    public const string NotAnAttachment = "NotAnAttachment";
    public const string FileNameInvalid = "FileNameInvalid";

    // Why the server closed a connection (the code of its Bye frame, or of an abort that sends none).
    public const string SlowReader = "SlowReader";
    public const string IdleTimeout = "IdleTimeout";
    public const string EnrollmentTimeout = "EnrollmentTimeout";
    public const string ServerShutdown = "ServerShutdown";
    public const string ClientClosed = "ClientClosed";

    // B (issue 13): roles and private rooms.
    public const string NotRoomAdmin = "NotRoomAdmin";
    public const string NotInPrivateRoom = "NotInPrivateRoom";
    public const string RemovedFromRoom = "RemovedFromRoom";
    public const string RoomRoleRefused = "RoomRoleRefused";

    /// <summary>A room this device asked to create had its encryption founded by another device
    /// first: nothing was joined (the founder, not this user, is its admin).</summary>
    public const string RoomFoundedByOther = "RoomFoundedByOther";

    // issue 15: backup
    /// <summary>Backup-ChatServer / Restore-ChatServer were given a destination that exists and
    /// is not an empty directory, or an empty one others can write into: nothing is written over.</summary>
    public const string BackupDestinationNotEmpty = "BackupDestinationNotEmpty";

    /// <summary>A backup that does not match its manifest (a file changed, missing or added, the
    /// manifest unreadable or of an unknown format): nothing was restored.</summary>
    public const string BackupInvalid = "BackupInvalid";

    /// <summary>The directory to back up is not an OpenChat data directory (no CA certificate).</summary>
    public const string BackupSourceInvalid = "BackupSourceInvalid";

    /// <summary>A backup or restore could not write or read a file (disk full, permissions); what
    /// it had written was removed.</summary>
    public const string BackupFailed = "BackupFailed";

    // issue 15: observe
    /// <summary>Test-ChatServer found no server of that data directory running in this session.</summary>
    public const string ServerNotRunning = "ServerNotRunning";

    // issue 15: config
    /// <summary>A configuration file (or a value for one of its keys) is refused: unknown key,
    /// wrong type, out of range, unreadable file. The message names the key and the file.</summary>
    public const string ConfigurationInvalid = "ConfigurationInvalid";

    /// <summary>A CA password file others could read or that another user owns (on Unix it must be
    /// mode 0600 or 0400 and owned by the user running the server).</summary>
    public const string PasswordFileInsecure = "PasswordFileInsecure";

    /// <summary>The environment variable named for the CA password is not set, or empty.</summary>
    public const string PasswordVariableMissing = "PasswordVariableMissing";
}
