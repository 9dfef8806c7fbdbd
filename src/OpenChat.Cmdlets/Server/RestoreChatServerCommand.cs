using System.Management.Automation;
using OpenChat.Engine.Storage.Backup;

namespace OpenChat.Cmdlets.Server;

/// <summary>Restores a backup into a new or empty data directory (Storage/Backup/ServerRestore).</summary>
[Cmdlet(VerbsData.Restore, "ChatServer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ChatServerBackup))]
public sealed class RestoreChatServerCommand : ChatCmdlet
{
    /// <summary>The backup's directory (what Backup-ChatServer wrote).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>A new or empty directory: the data directory to start a server on.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    protected override void ProcessRecord()
    {
        var backup = ResolvePath(Path);
        try
        {
            var destination = ResolvePath(Destination);
            if (!ShouldProcess(destination, $"Restore the backup '{backup}' into this new data directory"))
            {
                return;
            }

            var result = BackupProgressPump.Run(this, $"Restoring {backup}",
                progress => new ServerRestore().Restore(backup, destination, progress, CancelToken));
            if (result.DatabaseNotIncluded)
            {
                WriteWarning($"This backup is of a node whose data is in PostgreSQL: it restored the directory's keys, certificates and settings only. Restore the database from its pg_dump with pg_restore (docs/operations.md, \"Backup and restore\"); database.connection names the database the node will use.");
            }

            WriteObject(new ChatServerBackup(backup, result.Path, result.Manifest));
        }
        catch (Exception e) when (IsPerInput(e))
        {
            WriteFailure(e, backup);
        }
    }
}
