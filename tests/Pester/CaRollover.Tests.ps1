#Requires -Version 7.6
# CA rollover as an admin runs it: Update-ChatCertificateAuthority on a stopped server's data
# directory (refused while a server serves it), openssl as the outside referee of the new chain
# (through the cross-certificate to the old root, and directly to the new root), and users
# enrolled before the rollover chatting after it with one enrolled after it.

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:SavedOpenChatHome = $env:OPENCHAT_HOME
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-roll-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
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

Describe 'Update-ChatCertificateAuthority' {
    It 'is refused while a server serves the data directory, and changes nothing' {
        $data = New-TempPath 'running'
        $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        try {
            $before = Get-ChatCertificateAuthority -Path $data
            $record = Get-ChatErrorRecord { Update-ChatCertificateAuthority -Path $data -Confirm:$false }
            Get-ErrorId $record | Should -Be 'ServerAlreadyRunning'
            (Get-ChatCertificateAuthority -Path $data).Fingerprint | Should -Be $before.Fingerprint
            Test-Path (Join-Path $data 'ca-cross.crt.pem') | Should -BeFalse
        }
        finally {
            Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'rolls a stopped server over: openssl accepts the new chain both ways, and users before and after chat' {
        $data = New-TempPath 'data'
        $server = Start-ChatServer -Path $data -Port 0 -Address 127.0.0.1 -ErrorAction Stop
        $port = $server.Port
        $alice = Register-TestUser $data $port 'alice'
        $bob = Register-TestUser $data $port 'bob'
        $sa = Connect-ChatRoom -Identity $alice.Path -ErrorAction Stop
        $null = New-ChatRoom -Name ops -Session $sa -ErrorAction Stop
        $sb = Connect-ChatRoom -Room ops -Identity $bob.Path -ErrorAction Stop
        Send-ChatMessage -Session $sa -Room ops -Message 'before the rollover' -ErrorAction Stop
        (Receive-TestText $sb 'before the rollover').Sender | Should -Be 'alice'
        Disconnect-ChatRoom -All -ErrorAction Stop
        Stop-ChatServer -Server $server -Confirm:$false -ErrorAction Stop
        $old = Get-ChatCertificateAuthority -Path $data

        $rolled = Update-ChatCertificateAuthority -Path $data -Confirm:$false -ErrorAction Stop
        $rolled.PreviousFingerprint | Should -Be $old.Fingerprint
        $rolled.Subject | Should -Be "CN=$($old.Name) G2"
        $new = Get-ChatCertificateAuthority -Path $data
        $new.Fingerprint | Should -Be $rolled.Fingerprint
        $rolled.OverlapEnds | Should -Be $old.NotAfter
        $second = Get-ChatErrorRecord { Update-ChatCertificateAuthority -Path $data -Confirm:$false }
        Get-ErrorId $second | Should -Be 'CaRolloverInProgress'
        (Get-Item (Join-Path $data 'ca-previous.key.pem')).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')

        # The server's certificate (re-issued at the rollover) and a user certificate issued now.
        $keys = New-TempPath 'keys'
        $dave = New-ChatCertificate -Path $data -UserName 'dave' -OutDirectory $keys -Password (ConvertTo-TestSecureString 'pfx') -ErrorAction Stop
        $daveLeaf = Export-TestCertificatePem -Certificate $dave.Certificate -Path (New-TempPath 'dave.crt.pem')
        foreach ($leaf in @((Join-Path $data 'server.crt.pem'), $daveLeaf)) {
            $viaCross = Invoke-OpenSsl verify -CAfile (Join-Path $data 'ca-previous.crt.pem') -untrusted (Join-Path $data 'ca-cross.crt.pem') $leaf
            $viaCross.ExitCode | Should -Be 0 -Because $viaCross.Output
            $direct = Invoke-OpenSsl verify -CAfile (Join-Path $data 'ca.crt.pem') $leaf
            $direct.ExitCode | Should -Be 0 -Because $direct.Output
            $oldAlone = Invoke-OpenSsl verify -CAfile (Join-Path $data 'ca-previous.crt.pem') $leaf
            $oldAlone.ExitCode | Should -Not -Be 0
        }

        $server = Start-ChatServer -Path $data -Port $port -Address 127.0.0.1 -ErrorAction Stop
        try {
            $carol = Register-TestUser $data $port 'carol'
            $carol.CaFingerprint | Should -Be $rolled.Fingerprint
            $sa = Connect-ChatRoom -Room ops -Identity $alice.Path -ErrorAction Stop
            $sb = Connect-ChatRoom -Room ops -Identity $bob.Path -ErrorAction Stop
            $sc = Connect-ChatRoom -Room ops -Identity $carol.Path -ErrorAction Stop
            Send-ChatMessage -Session $sa -Room ops -Message 'alice after the rollover' -ErrorAction Stop
            $got = Receive-TestText $sb 'alice after the rollover'
            $got.Sender | Should -Be 'alice'
            Send-ChatMessage -Session $sc -Room ops -Message 'carol under the new root' -ErrorAction Stop
            (Receive-TestText $sb 'carol under the new root').Sender | Should -Be 'carol'
            (Receive-TestText $sa 'carol under the new root').Sender | Should -Be 'carol'

            # Each profile now pins both roots.
            foreach ($identity in @($alice, $bob, $carol)) {
                $pinned = [Security.Cryptography.X509Certificates.X509Certificate2Collection]::new()
                $pinned.ImportFromPemFile((Join-Path $identity.Path 'ca-roots.pem'))
                $pinned.Count | Should -Be 2 -Because "$($identity.UserName) learned the other root"
            }
        }
        finally {
            Disconnect-ChatRoom -All -ErrorAction SilentlyContinue
            Stop-ChatServer -Server $server -Confirm:$false -ErrorAction SilentlyContinue
        }
    }
}
