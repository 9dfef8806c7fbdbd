using System.Management.Automation;
using OpenChat.Engine.Storage.Backup;

namespace OpenChat.Cmdlets.Server;

/// <summary>Backs up a server's data directory while the server runs (Storage/Backup/ServerBackup).</summary>
[Cmdlet(VerbsData.Backup, "ChatServer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ChatServerBackup))]
public sealed class BackupChatServerCommand : ChatCmdlet
{
    /// <summary>The data directory; the one server of this session when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? Path { get; set; }

    /// <summary>A new or empty directory.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    protected override void ProcessRecord()
    {
        string? source = null;
        try
        {
            source = ResolveDataPath(Path);
            var destination = ResolvePath(Destination);
            if (!ShouldProcess(source, $"Back up the data directory into '{destination}'"))
            {
                return;
            }

            var result = BackupProgressPump.Run(this, $"Backing up {source}",
                progress => new ServerBackup().Create(source, destination, progress, CancelToken));
            if (result.DatabaseNotIncluded)
            {
                WriteWarning($"The rooms, messages, files and CA records of '{source}' are in its PostgreSQL database, which this backup does not hold: it has the directory's keys, certificates and settings only. Back the database up with pg_dump (docs/operations.md, \"Backup and restore\").");
            }

            WriteObject(new ChatServerBackup(result.Path, null, result.Manifest));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, source ?? Path);
        }
    }
}
