#Requires -Version 7.6
# Backup and restore as an admin types them: Backup-ChatServer of a running server with a user
# connected, Restore-ChatServer into a new directory, a server started there with the messages and
# a CA that still enrolls users; a tampered backup and an occupied destination refused. (A backup
# taken while a user keeps sending is ServerBackupTests' first test, in xunit.) Upgrades: a files.db of
# the previous schema migrated with a copy kept first and logged; a messages.db of schema 1 rewritten
# into schema 2 and served; a messages.db of a newer one refused.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-backup-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root
    $env:OPENCHAT_HOME = Join-Path $script:Root 'home'

    function New-TempPath([string] $Prefix) {
        Join-Path $script:Root ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }

    function Register-TestUser($Data, [int] $Port, [string] $UserName) {
        $invite = New-ChatInvite -Path $Data -UserName $UserName -Server "127.0.0.1:$Port" -ErrorAction Stop
        Register-ChatUser -Invite $invite.Invite -ProfilePath (New-TempPath $UserName) -ErrorAction Stop
    }

    function Receive-TestText($Session, [string] $Text, [int] $TimeoutSeconds = 20) {
        Receive-ChatMessage -Session $Session -Room '*' -Wait -Timeout $TimeoutSeconds -WarningAction SilentlyContinue |
            Where-Object Text -eq $Text | Select-Object -First 1
    }
}

AfterAll {
    Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    $env:OPENCHAT_HOME = $script:SavedOpenChatHome
    Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Backup-ChatServer and Restore-ChatServer' {
    It 'backs up a running server, restores it, and a server on the restored directory has the messages and a working CA' {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        $port = $server.Port
        $alice = Register-TestUser $data $port 'alice'
        $carol = Register-TestUser $data $port 'carol'
        $sa = Connect-ChatRoom -Identity $alice.Path -ErrorAction Stop
        $null = New-ChatRoom -Name ops -Session $sa -ErrorAction Stop
        $sc = Connect-ChatRoom -Room ops -Identity $carol.Path -ErrorAction Stop
        Disconnect-ChatRoom -Session $sc -ErrorAction Stop
        # carol is away: what alice sends now reaches her only from the server's history.
        1..5 | ForEach-Object { "before the backup $_" } | Send-ChatMessage -Session $sa -Room ops -ErrorAction Stop
        (Receive-TestText $sa 'before the backup 5').Sender | Should -Be 'alice'

        $backupPath = New-TempPath 'backup'
        $backup = Backup-ChatServer -Path $data -Destination $backupPath -ErrorAction Stop
        $backup.Path | Should -Be $backupPath
        $backup.Database | Should -Be 'sqlite'
        $backup.Files | Should -Contain 'messages.db'
        $backup.Files | Should -Contain 'ca.key.pem'
        $backup.SchemaVersions['openchat.db'] | Should -BeGreaterThan 0
        Test-Path (Join-Path $backupPath 'manifest.json') | Should -BeTrue
        (Get-Item (Join-Path $backupPath 'ca.key.pem')).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        Disconnect-ChatRoom -All -ErrorAction Stop
        Stop-ChatServer -Server $server -Confirm:$false -ErrorAction Stop

        $restoredPath = New-TempPath 'restored'
        $restored = Restore-ChatServer -Path $backupPath -Destination $restoredPath -Confirm:$false -ErrorAction Stop
        $restored.RestoredTo | Should -Be $restoredPath
        $again = Start-ChatServer -Path $restoredPath -Port $port -Address 127.0.0.1 -ErrorAction Stop
        try {
            $sc = Connect-ChatRoom -Room ops -Identity $carol.Path -ErrorAction Stop
            (Receive-TestText $sc 'before the backup 1').Sender | Should -Be 'alice'
            (Receive-TestText $sc 'before the backup 5').Sender | Should -Be 'alice'

            # The restored CA enrolls a new user, who chats with alice.
            $bob = Register-TestUser $restoredPath $port 'bob'
            $sb = Connect-ChatRoom -Room ops -Identity $bob.Path -ErrorAction Stop
            $sa = Connect-ChatRoom -Room ops -Identity $alice.Path -ErrorAction Stop
            Send-ChatMessage -Session $sa -Room ops -Message 'after the restore' -ErrorAction Stop
            (Receive-TestText $sb 'after the restore').Sender | Should -Be 'alice'
        }
        finally {
            Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
            Stop-ChatServer -Server $again -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'refuses a destination that is not empty, and a tampered backup, restoring nothing' {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        try {
            $occupied = New-TempPath 'occupied'
            $null = New-Item -ItemType Directory -Path $occupied
            Set-Content -LiteralPath (Join-Path $occupied 'notes.txt') -Value 'mine'
            $record = Get-ChatErrorRecord { Backup-ChatServer -Path $data -Destination $occupied }
            Get-ErrorId $record | Should -Be 'BackupDestinationNotEmpty'
            $record.CategoryInfo.Category | Should -Be 'ResourceExists'
            @(Get-ChildItem -LiteralPath $occupied).Name | Should -Be @('notes.txt')

            $backupPath = New-TempPath 'backup'
            $null = Backup-ChatServer -Path $data -Destination $backupPath -ErrorAction Stop
            $record = Get-ChatErrorRecord { Restore-ChatServer -Path $backupPath -Destination $occupied -Confirm:$false }
            Get-ErrorId $record | Should -Be 'BackupDestinationNotEmpty'

            Add-Content -LiteralPath (Join-Path $backupPath 'server.crt.pem') -Value '# edited'
            $target = New-TempPath 'restored'
            $record = Get-ChatErrorRecord { Restore-ChatServer -Path $backupPath -Destination $target -Confirm:$false }
            Get-ErrorId $record | Should -Be 'BackupInvalid'
            $record.Exception.Message | Should -Match 'server\.crt\.pem'
            Test-Path $target | Should -BeFalse

            $record = Get-ChatErrorRecord { Backup-ChatServer -Path (New-TempPath 'nothing') -Destination (New-TempPath 'b') }
            Get-ErrorId $record | Should -Be 'BackupSourceInvalid'
        }
        finally {
            Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'backs up the server of this session when -Path is left out, and -WhatIf writes nothing' {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        try {
            $dry = New-TempPath 'dry'
            Backup-ChatServer -Destination $dry -WhatIf
            Test-Path $dry | Should -BeFalse
            $backup = Get-ChatServer -Path $data | Backup-ChatServer -Destination (New-TempPath 'piped') -ErrorAction Stop
            $backup.Source | Should -Be $server.Path
        }
        finally {
            Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'warns that the database of a PostgreSQL node is backed up with pg_dump' {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        Stop-ChatServer -Server $server -Confirm:$false -ErrorAction Stop
        $node = New-TempPath 'node'
        $null = New-Item -ItemType Directory -Path $node
        foreach ($file in 'ca.crt.pem', 'ca.key.pem', 'server.crt.pem', 'server.key.pem') {
            Copy-Item -LiteralPath (Join-Path $data $file) -Destination $node
        }
        Set-Content -LiteralPath (Join-Path $node 'database.connection') -Value 'Host=db.example.org;Database=openchat'

        $backup = Backup-ChatServer -Path $node -Destination (New-TempPath 'backup') -WarningVariable warned -WarningAction SilentlyContinue -ErrorAction Stop

        $backup.Database | Should -Be 'postgresql'
        $backup.Files | Should -Contain 'database.connection'
        "$warned" | Should -Match 'pg_dump'
    }
}

Describe 'Upgrades of a data directory' {
    BeforeAll {
        # A stopped server's data directory in which alice said $Text in 'ops' while carol was
        # away, so carol can only get it from the store after the upgrade.
        function New-StoppedServerWithAwayMessage([string] $Text) {
            $data = New-TempPath 'data'
            $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
            $alice = Register-TestUser $data $server.Port 'alice'
            $carol = Register-TestUser $data $server.Port 'carol'
            $sa = Connect-ChatRoom -Identity $alice.Path -ErrorAction Stop
            $null = New-ChatRoom -Name ops -Session $sa -ErrorAction Stop
            $sc = Connect-ChatRoom -Room ops -Identity $carol.Path -ErrorAction Stop
            Disconnect-ChatRoom -Session $sc -ErrorAction Stop
            Send-ChatMessage -Session $sa -Room ops -Message $Text -ErrorAction Stop
            (Receive-TestText $sa $Text).Sender | Should -Be 'alice'
            Disconnect-ChatRoom -Session $sa -ErrorAction Stop
            Stop-ChatServer -Server $server -Confirm:$false -ErrorAction Stop
            [pscustomobject]@{ Data = $data; Port = $server.Port; Alice = $alice; Carol = $carol }
        }

        function Invoke-Sqlite([string] $File, [string] $Sql) {
            # Pooling off: the file is handed back whole before the server opens it.
            $connection = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$File;Pooling=False")
            try {
                $connection.Open()
                $command = $connection.CreateCommand()
                $command.CommandText = $Sql
                $command.ExecuteScalar()
            }
            finally {
                $connection.Dispose()
            }
        }
    }

    It 'migrates a files.db of the previous schema, keeping a copy first and the messages, and logs it' {
        $before = New-StoppedServerWithAwayMessage 'said before the upgrade'
        $data = $before.Data
        $carol = $before.Carol

        # files.db as the previous version left it: schema version 1, without version 2's index.
        $files = Join-Path $data 'files.db'
        [int] (Invoke-Sqlite $files 'PRAGMA user_version;') | Should -Be 2
        $null = Invoke-Sqlite $files 'DROP INDEX files_incomplete_by_time; PRAGMA user_version=1;'

        $log = Join-Path (New-TempPath 'logs') 'server.jsonl'
        $again = Start-ChatServer -Path $data -Port $before.Port -Address 127.0.0.1 -LogPath $log -ErrorAction Stop
        try {
            [int] (Invoke-Sqlite $files 'PRAGMA user_version;') | Should -Be 2
            [int] (Invoke-Sqlite $files "SELECT count(*) FROM sqlite_master WHERE name = 'files_incomplete_by_time';") | Should -Be 1
            $copy = @(Get-ChildItem -LiteralPath (Join-Path $data 'backups') -Filter 'pre-upgrade-files-v1-*.db')
            $copy.Count | Should -Be 1
            [int] (Invoke-Sqlite $copy[0].FullName 'PRAGMA user_version;') | Should -Be 1
            $events = Get-Content -LiteralPath $log | ForEach-Object { $_ | ConvertFrom-Json }
            @($events | Where-Object eventId -eq 3501).Count | Should -Be 1

            $sc = Connect-ChatRoom -Room ops -Identity $carol.Path -ErrorAction Stop
            (Receive-TestText $sc 'said before the upgrade').Sender | Should -Be 'alice'
        }
        finally {
            Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
            Stop-ChatServer -Server $again -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'rewrites a messages.db of schema 1 into schema 2 at start, announcing it first, and serves what it held' {
        $before = New-StoppedServerWithAwayMessage 'stored in schema 1'
        $data = $before.Data
        $alice = $before.Alice
        $carol = $before.Carol

        # messages.db as schema 1 laid it out: the table keyed by (room, seq), ids unique per room.
        $messages = Join-Path $data 'messages.db'
        [int] (Invoke-Sqlite $messages 'PRAGMA user_version;') | Should -Be 2
        $held = [int] (Invoke-Sqlite $messages 'SELECT count(*) FROM messages;')
        $held | Should -BeGreaterThan 0
        $null = Invoke-Sqlite $messages @'
CREATE TABLE messages_v1 (room TEXT NOT NULL, seq INTEGER NOT NULL, message_id BLOB NOT NULL, sender TEXT NOT NULL,
    sender_serial TEXT NOT NULL, kind INTEGER NOT NULL, epoch INTEGER NOT NULL, time INTEGER NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (room, seq)) WITHOUT ROWID;
INSERT INTO messages_v1 SELECT room, seq, message_id, sender, sender_serial, kind, epoch, time, body FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v1 RENAME TO messages;
CREATE UNIQUE INDEX messages_by_id ON messages(room, message_id);
PRAGMA user_version=1;
'@
        [int] (Invoke-Sqlite $messages 'PRAGMA user_version;') | Should -Be 1

        $log = Join-Path (New-TempPath 'logs') 'server.jsonl'
        $again = Start-ChatServer -Path $data -Port $before.Port -Address 127.0.0.1 -LogPath $log -ErrorAction Stop
        try {
            [int] (Invoke-Sqlite $messages 'PRAGMA user_version;') | Should -Be 2
            [int] (Invoke-Sqlite $messages 'SELECT count(*) FROM messages;') | Should -Be $held
            [int] (Invoke-Sqlite $messages "SELECT count(*) FROM sqlite_master WHERE name IN ('messages_by_seq', 'messages_by_id');") | Should -Be 2
            $copy = @(Get-ChildItem -LiteralPath (Join-Path $data 'backups') -Filter 'pre-upgrade-messages-v1-*.db')
            $copy.Count | Should -Be 1
            [int] (Invoke-Sqlite $copy[0].FullName 'SELECT count(*) FROM messages;') | Should -Be $held
            # Announced with what it holds before the copy, then the copy, then done.
            $ids = @(Get-Content -LiteralPath $log | ForEach-Object { ($_ | ConvertFrom-Json).eventId } | Where-Object { $_ -in 3001, 3501, 3000 })
            $ids | Should -Be @(3001, 3501, 3000)

            # carol was away: she gets the old message from the rewritten store, then a new one.
            $sc = Connect-ChatRoom -Room ops -Identity $carol.Path -ErrorAction Stop
            (Receive-TestText $sc 'stored in schema 1').Sender | Should -Be 'alice'
            $sa = Connect-ChatRoom -Room ops -Identity $alice.Path -ErrorAction Stop
            Send-ChatMessage -Session $sa -Room ops -Message 'stored in schema 2' -ErrorAction Stop
            (Receive-TestText $sc 'stored in schema 2').Sender | Should -Be 'alice'
        }
        finally {
            Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
            Stop-ChatServer -Server $again -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'refuses a messages.db of a newer schema with StoreVersionUnsupported and leaves it as it was' {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        Stop-ChatServer -Server $server -Confirm:$false -ErrorAction Stop
        $messages = Join-Path $data 'messages.db'
        $newer = [int] (Invoke-Sqlite $messages 'PRAGMA user_version;') + 1
        $null = Invoke-Sqlite $messages "PRAGMA user_version=$newer;"
        $before = (Get-FileHash -LiteralPath $messages).Hash

        $record = Get-ChatErrorRecord { Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 }

        Get-ErrorId $record | Should -Be 'StoreVersionUnsupported'
        $record.Exception.Message | Should -Match "version $newer"
        (Get-FileHash -LiteralPath $messages).Hash | Should -Be $before
        @(Get-ChatServer).Count | Should -Be 0
    }
}
