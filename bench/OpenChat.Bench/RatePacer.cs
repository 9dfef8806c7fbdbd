using System.Diagnostics;

namespace OpenChat.Bench;

/// <summary>Paces a publisher to a rate offered open loop: each call gives how many messages
/// may go now (at most a batch), waiting when it is ahead. A rate of 0 is unpaced.</summary>
internal sealed class RatePacer(double rate, int maxBatch = 64)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _sent;

    public async Task<int> NextAsync(CancellationToken stop)
    {
        while (true)
        {
            var allowed = rate > 0 ? (long)(_clock.Elapsed.TotalSeconds * rate) - _sent : maxBatch;
            if (allowed > 0)
            {
                var count = (int)Math.Min(allowed, maxBatch);
                _sent += count;
                return count;
            }

            await Task.Delay(1, stop);
        }
    }
}
