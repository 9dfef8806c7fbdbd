using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>What the <see cref="ReconnectSupervisor"/> keeps connected.</summary>
internal interface IReconnectTarget
{
    /// <summary>Completes when the current connection has ended.</summary>
    Task CurrentEnded { get; }

    /// <summary>Set when the server closed this identity out for good (revoked, version refused).</summary>
    string? ClosedReason { get; }

    /// <summary>Opens a connection and makes it the current one.</summary>
    Task OpenAsync(CancellationToken cancellationToken);

    void Reconnecting();

    void Reconnected();

    void CloseForGood(string reason);

    /// <summary>Sends a keep-alive ping on the current connection, if there is one.</summary>
    void Ping(ulong nonce);
}

/// <summary>
/// Keeps a client connected: when its connection ends it reconnects with back-off (until
/// disposed), closes it for good when retrying cannot help, and pings while connected so the
/// server's idle timeout never fires on a quiet client. Nothing escapes its loops.
/// </summary>
internal sealed class ReconnectSupervisor(IReconnectTarget target, ChatClientOptions options, string server, ILogger log)
{
    private TimeProvider Time => options.Time;

    /// <summary>Refusals after which retrying cannot help: the server no longer accepts this
    /// identity, or is no longer the server we trust.</summary>
    public static bool IsFinal(Exception e) => e is OpenChatException
    {
        ErrorId: ErrorIds.ConnectionRefused or ErrorIds.ServerNotTrusted or ErrorIds.CertificateRevoked or ErrorIds.ServerCertificateRevoked
            // An expired certificate the server will not renew (past the grace window, or renewed
            // by someone else): only the admin's invite helps.
            or ErrorIds.CertificateExpired or ErrorIds.CertificateAlreadyRenewed or ErrorIds.RenewalOfRevokedCertificate or ErrorIds.RenewalWindowPassed,
    };

    public async Task SuperviseAsync(CancellationToken disposing)
    {
        try
        {
            while (!disposing.IsCancellationRequested)
            {
                await target.CurrentEnded.WaitAsync(disposing).ConfigureAwait(false);
                if (target.ClosedReason is not null || !options.Reconnect)
                {
                    target.CloseForGood(target.ClosedReason ?? "ConnectionLost");
                    return;
                }

                target.Reconnecting();
                var refused = await ReconnectAsync(disposing).ConfigureAwait(false);
                if (refused is not null)
                {
                    target.CloseForGood(refused);
                    return;
                }

                target.Reconnected();
            }
        }
        catch (OperationCanceledException) when (disposing.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Never let a background failure reach the host process.
            log.Failed(e, "client.supervise");
        }
    }

    /// <summary>Tries to connect until it works (returns null) or the server refuses this
    /// identity for good (returns the refusal's error id). Cancellation ends it with an
    /// <see cref="OperationCanceledException"/>.</summary>
    public async Task<string?> ReconnectAsync(CancellationToken cancellationToken)
    {
        var backoff = new ReconnectBackoff(ReconnectBackoff.FirstDelay, options.MaxReconnectDelay);
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ClientLog.ReconnectAttempt(log, server, attempt);
            try
            {
                await target.OpenAsync(cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (Exception e) when (IsFinal(e))
            {
                return ((OpenChatException)e).ErrorId;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var delay = backoff.Next();
                ClientLog.ReconnectFailed(log, e, server, attempt, (e as OpenChatException)?.ErrorId ?? e.GetType().Name, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task KeepAliveAsync(CancellationToken disposing)
    {
        try
        {
            using var timer = new PeriodicTimer(options.KeepAliveInterval, Time);
            while (await timer.WaitForNextTickAsync(disposing).ConfigureAwait(false))
            {
                target.Ping((ulong)Time.GetTimestamp());
            }
        }
        catch (OperationCanceledException) when (disposing.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            log.Failed(e, "client.keepalive");
        }
    }
}
