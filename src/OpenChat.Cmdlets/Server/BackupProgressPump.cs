using System.Management.Automation;
using OpenChat.Engine.Storage.Backup;

namespace OpenChat.Cmdlets.Server;

/// <summary>Runs a backup or restore off the pipeline thread and writes its progress on it
/// (PowerShell's Write* works only there): the work reports into a field, the pipeline thread
/// shows the latest report until the work ends.</summary>
internal sealed class BackupProgressPump : IProgress<BackupProgress>
{
    private BackupProgress? _latest;

    public void Report(BackupProgress value) => Volatile.Write(ref _latest, value);

    public static T Run<T>(Cmdlet cmdlet, string activity, Func<IProgress<BackupProgress>, T> work)
    {
        var pump = new BackupProgressPump();
        var task = Task.Run(() => work(pump));
        BackupProgress? shown = null;
        while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(100))
        {
            var latest = Volatile.Read(ref pump._latest);
            if (latest is not null && latest != shown)
            {
                cmdlet.WriteProgress(new ProgressRecord(1, activity, latest.File)
                {
                    PercentComplete = latest.Total == 0 ? 0 : (int)Math.Min(99, latest.Done * 100L / latest.Total),
                });
                shown = latest;
            }
        }

        if (shown is not null)
        {
            cmdlet.WriteProgress(new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }

        return task.GetAwaiter().GetResult();
    }
}
