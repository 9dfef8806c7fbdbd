@{
    Synopsis    = 'Backs up an OpenChat server''s data directory, while the server runs.'
    Description = @'
Copies a server's data directory into a new or empty directory, without stopping the server (in this session or in another process). Each SQLite database of the directory (messages.db: rooms and messages; openchat.db: certificates, revocations, invites, settings; files.db: uploaded files) is copied through SQLite's online backup API: a consistent snapshot that holds every message and change committed before its copy began, taken without holding up the server's writes. Every other file is copied as it is: the CA's certificate and key (ca.crt.pem, ca.key.pem, still encrypted if it was), the server's certificate and key, the CRL, the recorded database (database.connection), a CA rollover's files and retired-/replaced- folders. The server's lock, SQLite's journal files and the pre-upgrade copies in backups/ are left out.

Last, the backup gets manifest.json: the OpenChat version, the time (UTC), the data directory, each file with its size and SHA-256, and each database's schema version. A backup cut short has no manifest, and Restore-ChatServer refuses it. Files are readable by their owner only (mode 0600, folders 0700): the backup holds the CA's key.

The databases are snapshots taken one after the other, not at one instant: a message sent while the backup runs may or may not be in it; everything acknowledged before it started is.

For a node whose data is in PostgreSQL (its data directory has database.connection), the backup holds the directory's files only, and a warning says that the database is backed up with pg_dump (docs/operations.md, "Backup and restore").
'@
    Parameters  = @{
        Path        = 'The server''s data directory. Without it, the data directory of the one server running in this session (DataPathRequired when there is none or several).'
        Destination = 'A directory that does not exist yet or is empty (BackupDestinationNotEmpty otherwise: nothing is overwritten). A new one is created readable by its owner only; an existing empty one must be yours and not group- or other-writable, and is made owner-only.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'A Path, by property name (for example from Get-ChatServer).' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatServerBackup'; Description = 'The backup: Path, Source, CreatedAt, OpenChatVersion, Database (sqlite or postgresql), Files, Size and SchemaVersions.' }
    )
    Notes       = @'
The manifest's hashes find a damaged, truncated or edited backup; they are not a signature. Keep backups where only the admin can write, and off the machine: the CA key in them can issue certificates (encrypt the key with New-ChatCertificateAuthority -Password to make a stolen backup less useful).

Progress is shown per file. -WhatIf shows what would be backed up and writes nothing.

Error ids: BackupSourceInvalid (no OpenChat data directory there, or it holds a symbolic link, which a backup does not follow), BackupDestinationNotEmpty, BackupFailed (a file could not be read or written; the files it wrote are removed), DataPathRequired.
'@
    Examples    = @(
        @{
            Title   = 'Back up a running server'
            Code    = @'
Backup-ChatServer -Path /srv/chat -Destination "/var/backups/openchat/$(Get-Date -AsUTC -Format yyyyMMddTHHmmssZ)"
'@
            Remarks = 'The server keeps serving. The output names the backup''s directory, its files and the schema version of each database.'
        }
        @{
            Title   = 'Back up the server of this session every night, from a scheduled script'
            Code    = @'
Get-ChatServer | Backup-ChatServer -Destination (Join-Path /var/backups/openchat (Get-Date -AsUTC -Format yyyyMMdd)) -ErrorAction Stop
'@
            Remarks = 'The data directory comes from the server object by property name.'
        }
        @{
            Title   = 'A node on PostgreSQL'
            Code    = @'
Backup-ChatServer -Path /srv/chat-node-a -Destination /var/backups/node-a
pg_dump --format=custom --file=/var/backups/openchat.dump 'host=db.example.org dbname=openchat user=openchat'
'@
            Remarks = 'The first command saves the node''s keys and certificates and warns that the database is not in it; pg_dump saves the database.'
        }
    )
    Links       = @('Restore-ChatServer', 'Start-ChatServer', 'Get-ChatServer', 'about_OpenChat')
}
