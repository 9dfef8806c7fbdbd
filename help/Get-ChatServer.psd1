@{
    Synopsis    = 'Gets the chat servers running in this PowerShell session, with their live figures.'
    Description = @'
Lists the servers that Start-ChatServer started in this PowerShell process and that have not been stopped. With -Path, only the server of that data directory is returned; without it, all of them.

Each object reports the data directory (Path), where the server listens (Address, Port and Endpoint), the SHA-256 fingerprint of its CA (CaFingerprint, the value invites carry and clients pin), State, StartedAt, and the live figures: the number of open connections (Connections), of rooms (Rooms, including direct conversations), of messages stored (MessagesStored, counted over the whole life of the data directory), and the number of messages stored during the last completed second (MessagesPerSecond). Three properties say what is about to expire: ServerCertificateExpires (when the TLS certificate the server presents ends), CaExpires (when the CA certificate ends; nothing it issues outlives it) and CertificatesExpiringSoon (how many user certificates are valid now and end within 30 days; Get-ChatCertificate -ExpiringWithin 30d lists them). The figures are read from the running server every time a property is read, so the same object can be displayed again to see fresh values.

The effective configuration. Configuration holds every configuration key (see Start-ChatServer -ConfigurationPath) with the value the server runs with, whether it came from the configuration file, a parameter or the default; ConfigurationSource says which of the three (file, parameter, default) for each key, and ConfigurationPath names the file. Secrets are not shown: a password inside the Database connection string reads ***, and the CA password itself is never part of it (only the name of its file or variable).

This command does not find servers running in other processes or on other machines.
'@
    Parameters  = @{
        Path = 'Returns only the server that serves this data directory. The path is resolved against the current PowerShell location and compared exactly; wildcards are not supported.'
    }
    Inputs      = @(
        @{ Type = 'None'; Description = 'This cmdlet does not take pipeline input.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatServer'; Description = 'One object per running server: Path, Address, Port, Endpoint, CaFingerprint, State, StartedAt, Connections, Rooms, MessagesStored, MessagesPerSecond, ServerCertificateExpires, CaExpires, CertificatesExpiringSoon, ConfigurationPath, Configuration and ConfigurationSource.' }
    )
    Notes       = @'
The object also exposes a ConnectionClosed event (see Start-ChatServer) that can be watched with Register-ObjectEvent.

When no server is running, or none serves -Path, the command writes nothing and no error.
'@
    Examples    = @(
        @{
            Title   = 'Show the effective configuration and where each value came from'
            Code    = @'
$server = Get-ChatServer -Path /srv/chat
$server.Configuration
$server.Configuration.Keys | Where-Object { $server.ConfigurationSource[$_] -ne 'default' } |
    ForEach-Object { [pscustomobject]@{ Key = $_; Value = $server.Configuration[$_]; Source = $server.ConfigurationSource[$_] } }
'@
            Remarks = 'The first line lists every key and its value; the pipeline shows only what the configuration file or a parameter set.'
        }
        @{
            Title   = 'See what expires soon'
            Code    = @'
Get-ChatServer -Path ./chat | Format-List Endpoint, ServerCertificateExpires, CaExpires, CertificatesExpiringSoon
Get-ChatCertificate ./chat -ExpiringWithin 30d
'@
            Remarks = 'The first line shows when the server certificate and the CA end and how many user certificates end within 30 days; the second lists those certificates.'
        }
        @{
            Title   = 'List the running servers'
            Code    = 'Get-ChatServer'
            Remarks = 'Shows a table with Endpoint, State, Connections, Rooms, MessagesStored, Expiring (CertificatesExpiringSoon) and Path for each server started in this session.'
        }
        @{
            Title   = 'Show the CA fingerprint to give to users'
            Code    = '(Get-ChatServer -Path ./chat).CaFingerprint'
            Remarks = 'The fingerprint, as colon-separated hexadecimal, that users can compare with the one Get-ChatIdentity shows after enrolling.'
        }
        @{
            Title   = 'Watch the load once a second'
            Code    = @'
$server = Get-ChatServer -Path /srv/chat
while ($true) {
    '{0:T}  {1,6} connections  {2,8:N1} msg/s  {3,10} stored' -f (Get-Date), $server.Connections, $server.MessagesPerSecond, $server.MessagesStored
    Start-Sleep -Seconds 1
}
'@
            Remarks = 'Reading the properties of the same object again gives current values. Press Ctrl+C to end the loop; the server keeps running.'
        }
    )
    Links       = @('Start-ChatServer', 'Stop-ChatServer', 'about_OpenChat')
}
