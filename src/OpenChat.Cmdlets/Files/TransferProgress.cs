using System.Management.Automation;

namespace OpenChat.Cmdlets.Files;

/// <summary>
/// Carries a transfer's progress from the engine's threads to the pipeline thread: the engine
/// reports into it (any thread), and <see cref="Await{T}"/>, on the pipeline thread, waits for
/// the transfer and writes the latest figure as Write-Progress a few times a second. No
/// PowerShell call is ever made from the engine's side.
/// </summary>
internal sealed class TransferProgress(int activityId, string activity, ulong total) : IProgress<long>
{
    private long _done;

    public void Report(long value) => Interlocked.Exchange(ref _done, value);

    /// <summary>Plaintext bytes done so far.</summary>
    public long Done => Interlocked.Read(ref _done);

    public int Percent => total == 0 ? 0 : (int)Math.Min(100, (ulong)Done * 100 / total);

    public T Await<T>(Cmdlet cmdlet, Task<T> transfer)
    {
        var shown = -1L;
        try
        {
            while (!((IAsyncResult)transfer).AsyncWaitHandle.WaitOne(200))
            {
                var done = Done;
                if (done != shown)
                {
                    shown = done;
                    cmdlet.WriteProgress(Record(done));
                }
            }
        }
        finally
        {
            cmdlet.WriteProgress(new ProgressRecord(activityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }

        return transfer.GetAwaiter().GetResult();
    }

    private ProgressRecord Record(long done) =>
        new(activityId, activity, $"{ChatAttachment.FormatSize((ulong)done)} of {ChatAttachment.FormatSize(total)}")
        {
            PercentComplete = Percent,
        };
}
