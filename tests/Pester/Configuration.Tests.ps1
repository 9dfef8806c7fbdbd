#Requires -Version 7.6
# Start-ChatServer -ConfigurationPath as an admin writes it: a .psd1 or .json file of keys,
# refused at start with the key named (nothing started), parameters overriding the file,
# Get-ChatServer's effective configuration, and the unattended CA password (-CAPasswordFile with
# owner-only modes, -CAPasswordVariable, and both as keys of the file).

BeforeAll {
    Import-Module $env:OPENCHAT_MODULE -Force
    . "$PSScriptRoot/TestHelpers.ps1"

    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('oc-config-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $script:Root

    function New-TempPath([string] $Prefix) {
        Join-Path $script:Root ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }

    # Writes a configuration file with this text and returns its path.
    function New-ConfigFile([string] $Text, [string] $Extension = '.psd1') {
        $path = (New-TempPath 'server') + $Extension
        Set-Content -LiteralPath $path -Value $Text
        $path
    }

    # A loopback port where nothing listens (bound once by the OS, then released).
    function Get-UnusedPort {
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $port = $listener.LocalEndpoint.Port
        $listener.Stop()
        $port
    }

    # A password file with this mode (octal text, e.g. '600').
    function New-PasswordFile([string] $Password, [string] $Mode) {
        $path = New-TempPath 'ca-password'
        Set-Content -LiteralPath $path -Value $Password -NoNewline:$false
        & chmod $Mode $path
        $path
    }
}

AfterAll {
    Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue
    if ($script:Root -and (Test-Path -LiteralPath $script:Root)) {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'Start-ChatServer -ConfigurationPath refuses a bad file, naming the key' {
    It 'refuses <Case> with ConfigurationInvalid naming <Key> and the file, and starts nothing' -ForEach @(
        @{ Case = 'an unknown key'; Key = 'MaxConections'; Text = "@{ Path = 'DATA'; Port = 0; MaxConections = 5 }" }
        @{ Case = 'a wrong type'; Key = 'Port'; Text = "@{ Path = 'DATA'; Port = 'seven' }" }
        @{ Case = 'a value out of range'; Key = 'PublishesPerSecond'; Text = "@{ Path = 'DATA'; Port = 0; PublishesPerSecond = 0 }" }
        @{ Case = 'a time span that is none'; Key = 'IdleTimeout'; Text = "@{ Path = 'DATA'; Port = 0; IdleTimeout = 'a while' }" }
    ) {
        $data = New-TempPath 'data'
        $file = New-ConfigFile $Text.Replace('DATA', $data)
        $err = Get-ChatErrorRecord { Start-ChatServer -ConfigurationPath $file }

        Get-ErrorId $err | Should -Be 'ConfigurationInvalid'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match ([regex]::Escape("'$Key'"))
        $err.Exception.Message | Should -Match ([regex]::Escape($file))
        @(Get-ChatServer) | Should -HaveCount 0
        $data | Should -Not -Exist -Because 'nothing was started, not even a CA created'
    }

    It 'runs no code in a .psd1: a command in it is refused and never runs' {
        $marker = New-TempPath 'ran'
        $file = New-ConfigFile "@{ Port = 0; Path = (New-Item -ItemType File -Path '$marker') }"
        $err = Get-ChatErrorRecord { Start-ChatServer -ConfigurationPath $file }

        Get-ErrorId $err | Should -Be 'ConfigurationInvalid'
        $marker | Should -Not -Exist
    }

    It 'refuses a file that does not exist, and a file of another kind' {
        Get-ErrorId (Get-ChatErrorRecord { Start-ChatServer -ConfigurationPath (New-TempPath 'none') }) | Should -Be 'ConfigurationInvalid'
        $ini = New-ConfigFile 'Port=0' '.ini'
        (Get-ChatErrorRecord { Start-ChatServer -ConfigurationPath $ini }).Exception.Message | Should -Match 'psd1'
    }

    It 'needs a data directory from -Path or the file' {
        $file = New-ConfigFile '@{ Port = 0 }'
        Get-ErrorId (Get-ChatErrorRecord { Start-ChatServer -ConfigurationPath $file }) | Should -Be 'DataPathRequired'
    }
}

Describe 'A configuration file with parameters on top' {
    It 'starts from a .psd1, a parameter overrides its key, and Get-ChatServer shows the effective configuration' {
        $filePort = Get-UnusedPort
        $log = Join-Path (New-TempPath 'logs') 'server.jsonl'
        $file = New-ConfigFile @"
@{
    # comments are fine
    Path      = '$(New-TempPath 'data')'
    Port      = $filePort
    MaxRooms  = 50
    IdleTimeout = '00:02:00'
    LogPath   = '$log'
    LogLevel  = 'warning'
}
"@
        $server = Start-ChatServer -ConfigurationPath $file -Port 0 -ErrorAction Stop
        try {
            $server.Port | Should -Not -Be $filePort -Because '-Port 0 overrides the file''s Port'
            $server.ConfigurationPath | Should -Be $file

            $shown = Get-ChatServer -Path $server.Path
            $shown.Configuration.Port | Should -Be 0
            $shown.ConfigurationSource.Port | Should -Be 'parameter'
            $shown.Configuration.MaxRooms | Should -Be 50
            $shown.ConfigurationSource.MaxRooms | Should -Be 'file'
            $shown.Configuration.IdleTimeout | Should -Be ([TimeSpan]::FromMinutes(2))
            $shown.Configuration.LogLevel | Should -Be 'Warning'
            $shown.Configuration.LogPath | Should -Be $log
            $shown.Configuration.MaxConnections | Should -Be 25000
            $shown.ConfigurationSource.MaxConnections | Should -Be 'default'
            $log | Should -Exist
        }
        finally { Stop-ChatServer -Server $server -Confirm:$false }
    }

    It 'starts from a .json file, with paths relative to the file' {
        $folder = New-TempPath 'etc'
        $null = New-Item -ItemType Directory -Path $folder
        $file = Join-Path $folder 'server.json'
        Set-Content -LiteralPath $file -Value '{ "Path": "data", "Port": 0, "MaxConnectionsPerUser": 4, "RenewalGracePeriod": "12h" }'

        $server = Start-ChatServer -ConfigurationPath $file -ErrorAction Stop
        try {
            $server.Path | Should -Be (Join-Path $folder 'data')
            $server.Configuration.MaxConnectionsPerUser | Should -Be 4
            $server.Configuration.RenewalGracePeriod | Should -Be ([TimeSpan]::FromHours(12))
        }
        finally { Stop-ChatServer -Server $server -Confirm:$false }
    }

    It 'refuses a bad .json key the same way' {
        $file = New-ConfigFile '{ "Port": 0, "Path": "x", "MaxRoom": 5 }' '.json'
        $err = Get-ChatErrorRecord { Start-ChatServer -ConfigurationPath $file }
        Get-ErrorId $err | Should -Be 'ConfigurationInvalid'
        $err.Exception.Message | Should -Match "'MaxRoom'"
    }
}

Describe 'Unattended start with an encrypted CA key' {
    BeforeAll {
        $password = 'unattended-pass-123'
        $data = New-TestCa -Password (ConvertTo-TestSecureString $password) -WithServer
    }

    AfterEach { Stop-ChatServer -All -Confirm:$false -ErrorAction SilentlyContinue }

    It 'refuses to start without a password, as before' {
        Get-ErrorId (Get-ChatErrorRecord { Start-ChatServer -Path $data -Port 0 }) | Should -Be 'CaPasswordRequired'
    }

    It 'starts with -CAPasswordFile of mode <Mode>' -ForEach @(@{ Mode = '600' }, @{ Mode = '400' }) {
        $file = New-PasswordFile $password $Mode
        $server = Start-ChatServer -Path $data -Port 0 -CAPasswordFile $file -ErrorAction Stop
        $server.State | Should -Be 'Running'
        $server.Configuration.CAPasswordFile | Should -Be $file
        $server.Configuration.Values | Should -Not -Contain $password
    }

    It 'reads the password file it is given: a wrong password in it is refused' {
        $file = New-PasswordFile 'not-the-password' '600'
        Get-ErrorId (Get-ChatErrorRecord { Start-ChatServer -Path $data -Port 0 -CAPasswordFile $file }) | Should -Be 'CaPasswordWrong'
    }

    It 'refuses a password file of mode <Mode>, naming the mode' -ForEach @(@{ Mode = '644' }, @{ Mode = '640' }, @{ Mode = '604' }) {
        $file = New-PasswordFile $password $Mode
        $err = Get-ChatErrorRecord { Start-ChatServer -Path $data -Port 0 -CAPasswordFile $file }

        Get-ErrorId $err | Should -Be 'PasswordFileInsecure'
        $err.CategoryInfo.Category | Should -Be 'SecurityError'
        $err.Exception.Message | Should -Match "0$Mode"
        $err.Exception.Message | Should -Not -Match $password
        @(Get-ChatServer) | Should -HaveCount 0
    }

    It 'starts with -CAPasswordVariable, and refuses a variable that is not set' {
        $name = 'OPENCHAT_TEST_CA_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $err = Get-ChatErrorRecord { Start-ChatServer -Path $data -Port 0 -CAPasswordVariable $name }
        Get-ErrorId $err | Should -Be 'PasswordVariableMissing'
        $err.Exception.Message | Should -Match $name

        [Environment]::SetEnvironmentVariable($name, $password)
        try {
            $server = Start-ChatServer -Path $data -Port 0 -CAPasswordVariable $name -ErrorAction Stop
            $server.State | Should -Be 'Running'
        }
        finally { [Environment]::SetEnvironmentVariable($name, $null) }
    }

    It 'takes the password file from the configuration file, relative to it' {
        $folder = New-TempPath 'etc'
        $null = New-Item -ItemType Directory -Path $folder
        Set-Content -LiteralPath (Join-Path $folder 'ca.pw') -Value $password
        & chmod 600 (Join-Path $folder 'ca.pw')
        $file = Join-Path $folder 'server.psd1'
        Set-Content -LiteralPath $file -Value "@{ Path = '$data'; Port = 0; CAPasswordFile = 'ca.pw' }"

        $server = Start-ChatServer -ConfigurationPath $file -ErrorAction Stop
        $server.ConfigurationSource.CAPasswordFile | Should -Be 'file'
    }

    It 'refuses -CAPassword together with -CAPasswordFile' {
        $file = New-PasswordFile $password '600'
        Get-ErrorId (Get-ChatErrorRecord {
                Start-ChatServer -Path $data -Port 0 -CAPassword (ConvertTo-TestSecureString $password) -CAPasswordFile $file
            }) | Should -Be 'ConfigurationInvalid'
    }
}

Describe 'The example configuration file in docs/operations.md' {
    BeforeAll {
        $doc = Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../docs/operations.md') -Raw
        $section = $doc.Substring($doc.IndexOf('## Configuration file'))
        $example = [regex]::Match($section, '(?s)```powershell\r?\n(?<code>.*?)```').Groups['code'].Value
        $keys = [OpenChat.Engine.Server.Configuration.ServerConfigurationKeys]::All.Name
    }

    It 'lists every key' {
        foreach ($key in $keys) {
            $example | Should -Match "(?m)^\s*(# )?$key\s+=" -Because "the example lists $key"
        }
    }

    It 'is a valid file whose values are the defaults' {
        $file = New-ConfigFile $example
        $server = Start-ChatServer -ConfigurationPath $file -Path (New-TempPath 'data') -Port 0 -LogPath (Join-Path (New-TempPath 'logs') 'x.jsonl') -ErrorAction Stop
        $plain = Start-ChatServer -Path (New-TempPath 'data') -Port 0 -ErrorAction Stop
        try {
            foreach ($key in $keys | Where-Object { $server.ConfigurationSource[$_] -eq 'file' -and $_ -ne 'LogPath' }) {
                $server.Configuration[$key] | Should -Be $plain.Configuration[$key] -Because "the example gives $key its default"
            }
        }
        finally {
            $server, $plain | Stop-ChatServer -Confirm:$false
        }
    }
}
