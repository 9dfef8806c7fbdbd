@{
    Synopsis    = 'Restores a backup made by Backup-ChatServer into a new data directory.'
    Description = @'
Puts a backup back into a directory that does not exist yet or is empty; a server started on that directory has the backup's rooms, messages, files, certificates and CA (it can issue invites and certificates as before).

Before anything is written the backup is checked against its manifest.json: every file it lists must be there with its size and SHA-256, no other file may be there, and no listed path may lead outside the backup. A backup that was changed, damaged, cut short or added to is refused with BackupInvalid, naming the first file that does not match, and nothing is restored. Each file is hashed again as it is copied, so a backup that changes meanwhile is refused too, and what was written is removed. Restored files are readable by their owner only (0600, folders 0700).

A backup of a node whose data is in PostgreSQL restores the directory's files only; a warning says that the database is restored from its pg_dump with pg_restore.
'@
    Parameters  = @{
        Path        = 'The backup''s directory: what Backup-ChatServer wrote (it holds manifest.json).'
        Destination = 'The data directory to create: a path that does not exist yet or an empty directory (BackupDestinationNotEmpty otherwise). Start-ChatServer -Path takes it afterwards.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'A Path, by property name (for example a ChatServerBackup from Backup-ChatServer).' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatServerBackup'; Description = 'The backup restored, with RestoredTo: the new data directory.' }
    )
    Notes       = @'
Restore into a new directory and start the server there, rather than over the old one: the old directory stays as it was until the restored one is known to work.

The restored databases keep the schema versions of the backup; a server of a newer OpenChat migrates them forward at its first start (taking a copy first, see docs/operations.md "Upgrades"). A backup made by a newer OpenChat than this one is refused at start with StoreVersionUnsupported.

Error ids: BackupInvalid, BackupDestinationNotEmpty, BackupFailed.
'@
    Examples    = @(
        @{
            Title   = 'Restore last night''s backup and start a server on it'
            Code    = @'
Restore-ChatServer -Path /var/backups/openchat/20261201 -Destination /srv/chat-restored
Start-ChatServer -Path /srv/chat-restored -Port 7443
'@
            Remarks = 'Users reconnect by themselves and catch up from the messages the backup holds.'
        }
        @{
            Title   = 'Check a backup without restoring it anywhere that matters'
            Code    = @'
$check = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
Restore-ChatServer /var/backups/openchat/20261201 $check -ErrorAction Stop | Select-Object Source, CreatedAt, SchemaVersions
Remove-Item $check -Recurse -Force
'@
            Remarks = 'A backup that does not match its manifest fails with BackupInvalid.'
        }
    )
    Links       = @('Backup-ChatServer', 'Start-ChatServer', 'about_OpenChat')
}
