@{
    Synopsis    = 'Starts an OpenChat server for a data directory.'
    Description = @'
Starts the chat server that serves the data directory given by -Path, and returns an object that describes it. By default the command returns at once and the server keeps running in the background of this PowerShell process until Stop-ChatServer stops it or the process ends. With -Wait the server runs in the foreground instead: the command prints where it serves, blocks until you press Ctrl+C, stops the server, and then writes the (stopped) server object.

Listening address. The server binds 127.0.0.1 on port 7443 unless told otherwise. -Port 0 lets the operating system pick a free port; read the chosen one from the Port or Endpoint property of the output. -Address binds another local address, for example 0.0.0.0 (every IPv4 interface) or :: (every IPv6 interface); a warning is written whenever the address is not a loopback address. A port that is already in use fails with AddressInUse.

A working server from a bare path. When -Path holds no certificate authority yet, the command creates one there (named "OpenChat CA <machine name>", its key encrypted with -CAPassword when given) and then, when no server certificate is installed, issues one for localhost, the machine's host name, 127.0.0.1 and ::1. So Start-ChatServer -Path ./chat alone gives a server that local clients can use. For clients on other machines, install a server certificate that names the address they will dial (New-ChatCertificate -Server -DnsName ...) before starting the server: the certificate is read at start (the server renews it by itself with the same names, see below; one replaced by hand takes a restart).

The CA key stays open while the server runs, because the server signs the certificate requests of users who enroll with an invite. If the CA key is encrypted, -CAPassword is required (CaPasswordRequired, CaPasswordWrong).

Renewal of the server certificate. The server renews its own TLS certificate, since it holds the CA: at start when the installed certificate has expired or has passed two thirds of its validity, and while running once two thirds have passed. The renewed certificate has the same names and the same key (invites made before it still enroll), a lifetime as long as the old one's and a new serial; it is recorded in the CA store (Get-ChatCertificate shows it), written to server.crt.pem atomically, and presented to every new connection at once, while open connections carry on. Events ServerCertificateRenewed (4020), ServerCertificateRenewalFailed (4021, tried again a minute later while the old certificate is still valid) and ServerCertificateRefused (4022) go to -LogPath. An expired certificate that cannot be renewed (the CA key is encrypted and -CAPassword is missing or wrong, or the CA has expired) refuses the start with ServerCertificateExpired and changes nothing: the server never serves an expired certificate.

Transport and authentication. Every connection uses TLS 1.3; older versions are refused. Chat connections use mutual TLS: at each handshake the server checks that the client certificate chains to this CA and to nothing else, is within its validity period, carries the clientAuth extended key usage, was issued by this CA to a user and is not revoked. A connection without a client certificate may only redeem an invite (Register-ChatUser); any other request closes it. The server looks for newly revoked certificates about four times a second and closes the live connections of a revoked certificate, so Revoke-ChatCertificate takes effect within about a second; reconnecting with that certificate is refused.

Invites. When it starts listening, the server records the address clients should dial in the data directory: -AdvertisedAddress when given, otherwise localhost:<port> when bound to a loopback or wildcard address, otherwise <address>:<port>. One server serves a data directory at a time; a second fails with ServerAlreadyRunning. New-ChatInvite puts that address into invites when it is not given -Server.

Delivery. Each room has a gap-free sequence of messages. The server writes every message to messages.db in the data directory (SQLite in WAL mode with synchronous=FULL) before it acknowledges the message to the sender or forwards it to anyone, so an acknowledged message survives a crash of the server or of the machine. A message resent after a reconnect, with the same id, is stored once. The server treats message bodies as opaque bytes and never needs to read them.

Limits. One client can neither crash nor stall the server or other clients. A connection must finish the TLS handshake and the protocol greeting within 10 seconds. A connection with no traffic for 90 seconds is closed (clients send a keepalive every 20 seconds). Each connection may publish 500 messages a second (in bursts of up to 2,000) and 4 MB of message bodies a second (bursts of 16 MB), and make 100 other requests a second (bursts of 400), of which at most 30 a minute per user, across all of the user's connections, may create a new room (bursts of 100); requests beyond that are refused with RateLimited. The server holds at most 100,000 rooms (RoomLimitReached). A frame larger than 256 KB ends the connection, and a message too large to be delivered with its header is refused with MessageTooLarge before it is stored. Each client has a bounded send queue: a client that does not read what it is sent is disconnected (reason SlowReader) instead of being buffered without end. At most -MaxConnections connections are open or in the handshake at once; further connections are closed as soon as they are accepted. Of those, connections without a client certificate (people redeeming an invite) may hold at most -MaxEnrollmentConnections at once; one more is told ServerBusy and closed, so people enrolling cannot crowd out enrolled users. Connections still in the TLS handshake count against -MaxConnections, but one address may hold at most 64 of them. One user may hold at most 16 authenticated connections and one address at most 256, and one address at most 8 enrollment connections; one more is told TooManyConnections. Only -MaxConnections and -MaxEnrollmentConnections can be changed from this command.

Logging. With -LogPath the server writes a log for its admin to that file, one JSON object per line (JSON Lines), appended and flushed line by line, so it can be followed while the server runs (Get-Content -Wait, or a log shipper). Each line has timestamp (UTC, ISO 8601), level, eventId, event (a stable name), category, message, the event's own fields (such as Endpoint, RemoteAddress, UserName, Serial, Reason or ErrorId) and, for a failure, exception with its type and message. The connection events are: ServerStarted (1000) and ServerStopped (1001); connections refused with the reason, ConnectionRefusedBusy (1010), ConnectionRefusedPerAddress (1011), EnrollmentRefusedBusy (1012), HandshakeFailed (1013), CertificateRejected (1014), ConnectionRefusedRevoked (1015) and VersionUnsupported (1016); peers closed, ProtocolViolation (1020, with the rule broken), SlowReaderDropped (1021), IdleTimeout (1022), RevokedConnectionClosed (1023), ExpiredConnectionClosed (1024) and EnrollmentTimeout (1025); enrollments, EnrollmentSucceeded (1030) and EnrollmentRefused (1031, with the error id); and BackgroundFailure (1) for a failure the server handled on its own. -LogLevel Debug adds every connection opened and closed. The log never contains message bodies, invite secrets, certificate requests, proofs or keys. Text a client chose (a user name) is JSON-escaped, so it cannot break a line or send escape sequences to a terminal that shows the file. Stop-ChatServer closes the file.

Several nodes. With -Database (an Npgsql connection string, for example 'Host=db.example.org;Database=openchat;Username=openchat', its password best kept in PGPASSWORD or ~/.pgpass rather than in the string) the server is one node of a deployment whose rooms, members, messages, certificates, revocations, invites, settings and files live in that PostgreSQL database; its data directory keeps only the CA's and its own keys and certificates, and records the database (database.connection, readable only by its owner) so that New-ChatInvite, Revoke-ChatCertificate and a restart without -Database reach the same CA. The schema is versioned and brought forward at start. The first node on an empty database creates the CA; a further node starts from a copy of that node's ca.crt.pem, ca.key.pem, server.crt.pem and server.key.pem and the same -Database: a bare directory on a database that has a CA is refused (CaNotFound), and a directory holding another CA too (CaAlreadyExists). -Backplane (a NATS URL, nats://host:4222) carries new messages, presence, membership changes and revocations between the nodes at once; without it the nodes still work through the database alone, polling it a few times a second. Every node lists the live nodes in the greeting it sends clients, which remember them and reconnect to another node when theirs goes away, resuming where they were. A backplane without a database, or a URL that is not nats://, is refused (InvalidClusterSettings). See docs/operations.md, "One node or several".

The server object's live figures (Connections, Rooms, MessagesStored, MessagesPerSecond, State) are read from the running server each time they are displayed. Its ConnectionClosed event is raised, on a background thread, whenever a client connection ends; watch it with Register-ObjectEvent.
'@
    Parameters  = @{
        Path           = 'The server''s data directory. It may be empty or not exist yet, in which case a CA and a server certificate are created in it. Relative paths are resolved against the current PowerShell location. Accepts pipeline input by property name. Required unless the configuration file gives the key Path (then -Path overrides it).'
        ConfigurationPath = 'A configuration file: a PowerShell data file (.psd1, one hashtable, read like Import-PowerShellDataFile so no code in it runs) or a JSON file (.json, one object). Its keys (any case) are the server''s settings: every parameter of this command of the same name, every rate and size limit, timeouts, Path, LogPath, LogLevel, CAPasswordFile and CAPasswordVariable; docs/operations.md ("Configuration file") lists every key with its default and range. An unknown key, a value of the wrong type or out of range is refused with ConfigurationInvalid, naming the key and the file, and nothing is started. Paths in the file are relative to the file''s folder. A parameter given on the command line overrides the key of the same name. Get-ChatServer shows the effective configuration in its Configuration property, and where each value came from in ConfigurationSource.'
        CAPasswordFile = 'A file holding the password of the CA key, for a server started unattended (by systemd, at boot). One trailing newline is ignored. On Unix the file must be readable by its owner only, mode 0600 or 0400, and owned by the user running the server; anything else is refused with PasswordFileInsecure, naming the mode. Overrides the configuration file''s CAPasswordFile and CAPasswordVariable. Cannot be combined with -CAPassword.'
        CAPasswordVariable = 'The name of an environment variable holding the password of the CA key (for example one a service manager sets from its credential store). A variable that is not set, or empty, is refused with PasswordVariableMissing. The password itself never goes on the command line, where every user of the machine can read it in the process list.'
        AdvertisedAddress = 'The host:port that clients should dial, recorded for New-ChatInvite (for example chat.example.org:7443 when bound to 0.0.0.0). The server certificate must name that host.'
        Port           = 'The TCP port to listen on, from 0 to 65535. The default is 7443. 0 lets the operating system pick a free port; the output''s Port property shows which.'
        Address        = 'The local IP address to listen on. The default is 127.0.0.1, so only this machine can connect. Use 0.0.0.0 or :: to accept connections on every interface, or the address of one interface. A warning is written for any address that is not a loopback address.'
        Wait           = 'Serves in the foreground: prints where it serves, blocks until Ctrl+C is pressed or the process receives SIGTERM (how systemd and container runtimes stop a service), stops the server, and then writes the server object. Stopping tells every connection (a ServerShutdown goodbye), keeps everything acknowledged, and logs ServerStopped; pwsh then exits with code 0. Without -Wait the command returns at once and the server runs in the background.'
        RenewalGracePeriod = 'How long after its expiry a user''s certificate may still renew itself, as 30d, 12h, 90m or a TimeSpan; 0 renews no expired certificate. The default is 30 days, the longest 365. Within it, a client with an expired certificate (issued here, not revoked, not already renewed) gets a connection that may only renew it (RenewCertificate; anything else is refused with RenewalOnly); past it the connection is refused with CertificateExpired, and the user re-enrolls with an invite (Register-ChatUser -Invite ... -Identity <identity>).'
        CAPassword     = 'The password of the CA private key. Required when the existing CA key is encrypted, because the running server signs enrollment requests with it. When the data directory has no CA yet, the new CA key is encrypted with this password.'
        MaxConnections = 'The largest number of client connections open (or in the handshake) at once, from 1 to 1,000,000. The default is 25,000. Connections beyond it are closed as soon as they are accepted.'
        LogPath        = 'A file the server writes its log to, one JSON object per event on a line. The file is created (with its folder) when missing and appended to otherwise; it is closed when the server stops. Relative paths are resolved against the current PowerShell location. Without -LogPath the server writes no log. -LogPath - writes the same lines to standard output instead (under systemd they go to the journal: journalctl -u openchat -o cat | ConvertFrom-Json); use it with -Wait or in a process of its own, since the lines are written straight to the process''s output, past the pipeline. The events are listed in docs/operations.md, "Logs".'
        MetricsPort    = 'Serves /metrics (the Prometheus text format) and /healthz (JSON, status 200 when healthy, 503 when not) over plain HTTP on this port, from 0 to 65535; 0 picks a free port, shown by the output''s MetricsPort and MetricsEndpoint. Without it nothing is served. The endpoint needs no certificate, so it listens on loopback unless -MetricsAddress says otherwise. A port already in use refuses the start with AddressInUse. The metric names are listed in docs/operations.md, "Metrics"; Test-ChatServer -Uri reads /healthz of a server in another process.'
        MetricsAddress = 'The local IP address the metrics endpoint listens on; the default is 127.0.0.1. Only that address is bound. Any address that is not a loopback address gets a warning: whoever reaches it reads the server''s figures and health without a certificate, so keep it behind a firewall.'
        LogLevel       = 'The least severe events written to -LogPath: Debug, Information (the default), Warning or Error. Debug adds a line for every connection opened and closed; Warning keeps only refusals, violations and failures.'
        MaxFileBytes   = 'The largest file one Send-ChatFile may upload, in bytes. The default is 104857600 (100 MiB). A larger file is refused with the error id FileTooLarge before any of it is stored.'
        MaxStoredFileBytesPerUser = 'What the files of one user (complete, or still uploading) may take on this server in all, in bytes. The default is 1073741824 (1 GiB). An upload that would pass it is refused with FileQuotaExceeded before any of it is stored. Uploads left incomplete are deleted after 24 hours, which gives their share back.'
        FileBytesPerSecond = 'The file bytes one user may upload and fetch a second, at least 1024. The default is 16777216 (16 MiB), with a burst of twice that (at most 32 MiB). Faster transfers are slowed down (the server reads that user''s chunks later), not refused.'
        Database       = 'An Npgsql connection string naming the PostgreSQL database this node shares with the other nodes of its deployment (see "Several nodes" in the description). Without it the server keeps everything in SQLite files in its data directory, unless the directory records a database from an earlier start.'
        Backplane      = 'The NATS URL (nats://host:port) of the bus between the nodes. Needs -Database. Without it the nodes deliver each other''s messages through the database, within about 0.2 seconds.'
        MaxEnrollmentConnections = 'The largest number of connections without a client certificate (enrollments, which can only redeem an invite) open at once, from 1 to 100,000. The default is 100. One more gets a ServerBusy goodbye and is closed; Register-ChatUser then fails with the error id ServerBusy, and trying again a few seconds later works.'
    }
    Inputs      = @(
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'An object with a Path property, bound to -Path by property name.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatServer'; Description = 'The running server: Path, Address, Port, Endpoint (host:port), CaFingerprint, State (Running, Stopping or Stopped), StartedAt, Connections, Rooms, MessagesStored and MessagesPerSecond. The figures are live. The object also has a ConnectionClosed event whose arguments carry UserName, Serial and Reason.' }
    )
    Notes       = @'
The server lives in this PowerShell process. Closing the process, or the terminal that hosts it, stops the server; use -Wait (for example in a service or container) when the server should be the only thing the process does.

Only one server can serve a data directory at a time: while one runs it holds server.lock there, and a second Start-ChatServer on the same directory (in this process or another) fails with the error id ServerAlreadyRunning and changes nothing.

At start the server checks what expires within 30 days: its TLS certificate, the CA certificate, and users' certificates. When anything does, Start-ChatServer writes a warning naming it (for users, a count and the first three names) and the server logs the same as event 1050 CertificatesExpiringSoon (with -LogPath). Get-ChatCertificate -ExpiringWithin 30d lists the certificates; Get-ChatServer shows ServerCertificateExpires, CaExpires and CertificatesExpiringSoon.

The server loads its TLS certificate when it starts (and renews it by itself, see the description). After replacing it by hand (New-ChatCertificate -Server -Force), restart the server: invites made from then on name the new key, and clients that have seen the old certificate revoked refuse a server still presenting it (ServerCertificateRevoked).

When MaxConnections connections are open, a few more connections at a time are still answered, with a ServerBusy goodbye, so users are told the server is full (Connect-ChatRoom and Register-ChatUser fail with the error id ServerBusy); beyond that, sockets of a flood are closed at once.

Files the server uses in the data directory: ca.crt.pem, ca.key.pem, openchat.db (certificates, revocations, invites), server.crt.pem and server.key.pem (its TLS identity), server.lock (held while it runs), and messages.db with its -wal and -shm companions (rooms, members and messages).

Reasons reported by the ConnectionClosed event include ClientClosed, IdleTimeout, SlowReader, CertificateRevoked, ProtocolViolation, NotEnrolled, RateLimited, ServerShutdown and ConnectionLost. Enrollment connections have an empty UserName and Serial.

Configuration file. -ConfigurationPath names a .psd1 or .json file of settings, checked completely before anything starts; parameters override its keys. See the parameter's description and docs/operations.md ("Configuration file", "Unattended start", "Running under systemd", "Stopping").

Error ids: ConfigurationInvalid, PasswordFileInsecure, PasswordVariableMissing, DataPathRequired, AddressInUse, InvalidClusterSettings, CaAlreadyExists, ServerAlreadyRunning, ServerCertificateExpired, CaPasswordRequired, CaPasswordWrong, CaKeyInvalid, CaNotFound, StoreUnavailable.
'@
    Examples    = @(
        @{
            Title   = 'Start from a configuration file, overriding one key'
            Code    = @'
Set-Content ./server.psd1 @"
@{
    Path           = './chat'
    Port           = 7443
    MaxConnections = 5000
    IdleTimeout    = '00:02:00'
    LogPath        = './chat-log/server.jsonl'
}
"@
$server = Start-ChatServer -ConfigurationPath ./server.psd1 -Port 0
$server.Configuration.Port, $server.ConfigurationSource.Port
'@
            Remarks = 'The file sets the data directory (relative to the file), the port, a connection limit, the idle timeout and the log; -Port 0 overrides the file''s port (ConfigurationSource says "parameter"). A typo such as MaxConections = 5000 is refused with ConfigurationInvalid naming the key.'
        }
        @{
            Title   = 'Start unattended with an encrypted CA key'
            Code    = @'
Set-Content /etc/openchat/ca.password -Value $secretFromYourVault
chmod 600 /etc/openchat/ca.password
Start-ChatServer -Path /srv/chat -CAPasswordFile /etc/openchat/ca.password -Wait
# or: $env:OPENCHAT_CA_PASSWORD is set by the service manager
Start-ChatServer -Path /srv/chat -CAPasswordVariable OPENCHAT_CA_PASSWORD -Wait
'@
            Remarks = 'Nobody has to type the password. A password file that its group or others could read (chmod 644) is refused with PasswordFileInsecure naming the mode; a variable that is not set is refused with PasswordVariableMissing. The server stops cleanly on SIGTERM.'
        }
        @{
            Title   = 'Act on the expiry warning at start'
            Code    = @'
$server = Start-ChatServer -Path ./chat -WarningVariable expiring
if ($expiring) { Get-ChatCertificate ./chat -ExpiringWithin 30d | Format-Table Kind, Name, NotAfter }
'@
            Remarks = 'A warning such as "Expiring within 30 days: 2 user certificate(s) (alice, bob)." names what ends within 30 days; the second line lists those certificates.'
        }
        @{
            Title   = 'Run two nodes on one PostgreSQL database and one nats-server'
            Code    = @'
$db = 'Host=127.0.0.1;Port=5432;Database=openchat;Username=openchat'
Start-ChatServer -Path ./node-a -Port 7443 -Database $db -Backplane nats://127.0.0.1:4222
New-Item -ItemType Directory ./node-b | Out-Null
Copy-Item ./node-a/ca.crt.pem, ./node-a/ca.key.pem, ./node-a/server.crt.pem, ./node-a/server.key.pem ./node-b
Start-ChatServer -Path ./node-b -Port 7444 -Database $db -Backplane nats://127.0.0.1:4222
'@
            Remarks = 'The first node creates the CA in the empty database; the second starts from a copy of its keys and certificates. Users on either node share every room; when one node stops, its clients move to the other.'
        }
        @{
            Title   = 'Start a server for local use from an empty directory'
            Code    = 'Start-ChatServer -Path ./chat'
            Remarks = 'Creates a CA and a server certificate in ./chat (if there are none yet), listens on 127.0.0.1:7443 and returns the server object. The prompt comes back at once while the server keeps running.'
        }
        @{
            Title   = 'Start a test server on a free port and invite a user to it'
            Code    = @'
$server = Start-ChatServer -Path ./chat -Port 0
$server.Endpoint
(New-ChatInvite -Path ./chat -UserName alice).Invite
'@
            Remarks = 'The operating system picks the port. New-ChatInvite uses the address the server recorded (localhost:<port>), so the invite points at this server without -Server.'
        }
        @{
            Title   = 'Serve a team over the network'
            Code    = @'
$caPassword = Read-Host -AsSecureString -Prompt 'CA password'
New-ChatCertificate -Path /srv/chat -Server -DnsName chat.example.org -Force -CAPassword $caPassword
Start-ChatServer -Path /srv/chat -Address 0.0.0.0 -CAPassword $caPassword -Wait
'@
            Remarks = 'Installs a server certificate for the name clients will dial, then serves on every IPv4 interface, port 7443, in the foreground until Ctrl+C. -CAPassword is needed because the CA key is encrypted and the server signs enrollments with it. Give New-ChatInvite -Server chat.example.org:7443 so that invites carry the public name.'
        }
        @{
            Title   = 'Log every closed connection'
            Code    = @'
$server = Start-ChatServer -Path ./chat
Register-ObjectEvent -InputObject $server -EventName ConnectionClosed -SourceIdentifier ChatClosed -Action {
    "{0:u} {1} {2}" -f (Get-Date), $EventArgs.UserName, $EventArgs.Reason | Add-Content ./chat-connections.log
} | Out-Null
'@
            Remarks = 'The event is raised on a background thread; PowerShell queues it and runs the action. A revoked user shows up with the reason CertificateRevoked. Remove the subscription with Unregister-Event ChatClosed.'
        }
        @{
            Title   = 'Keep a JSON log and read the refused connections from it'
            Code    = @'
$server = Start-ChatServer -Path ./chat -LogPath ./chat-log/server.jsonl
Get-Content ./chat-log/server.jsonl | ConvertFrom-Json |
    Where-Object event -in 'HandshakeFailed', 'CertificateRejected', 'ProtocolViolation' |
    Format-Table timestamp, event, RemoteAddress, UserName, Reason
'@
            Remarks = 'Each line of the log is one JSON object, so ConvertFrom-Json reads it line by line. Stop-ChatServer closes the file; the next Start-ChatServer with the same -LogPath appends to it.'
        }
        @{
            Title   = 'Start a server with a connection limit and check its figures'
            Code    = @'
Start-ChatServer -Path ./chat -Port 7500 -MaxConnections 500 | Out-Null
Get-ChatServer | Format-List Endpoint, State, Connections, Rooms, MessagesStored, MessagesPerSecond
'@
            Remarks = 'Listens on 127.0.0.1:7500 and accepts at most 500 connections at once.'
        }
    )
    Links       = @('Stop-ChatServer', 'Get-ChatServer', 'New-ChatCertificate', 'New-ChatInvite', 'Revoke-ChatCertificate', 'Register-ChatUser', 'about_OpenChat')
}
