using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using OpenChat.Engine.Protocol;
using OpenChat.Engine.Transport;

namespace OpenChat.Engine.Client;

/// <summary>One TLS connection of a client: its stream, writer, pending requests and publishes.</summary>
public sealed partial class ChatClient
{
    /// <summary>One TLS connection. Frames are queued and written by one writer task so callers
    /// never block on the network and writes never interleave.</summary>
    private sealed class Session
    {
        private readonly SslStream _stream;
        private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        private readonly ConcurrentDictionary<uint, TaskCompletionSource<IMessage>> _pending = new();
        private readonly ConcurrentDictionary<uint, Guid> _publishes = new();
        private readonly CancellationTokenSource _closing = new();
        private int _dead;

        public Session(SslStream stream, FrameReader reader)
        {
            _stream = stream;
            Reader = reader;
            _ = Task.Run(WriteLoopAsync);
        }

        public FrameReader Reader { get; }

        public Task ReadLoop { get; set; } = Task.CompletedTask;

        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationToken Closing => _closing.Token;

        public bool IsDead => Volatile.Read(ref _dead) != 0;

        public void Send(byte[] frame) => _outgoing.Writer.TryWrite(frame);

        public Task<IMessage> Expect(uint tag)
        {
            var completion = new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[tag] = completion;
            if (IsDead)
            {
                completion.TrySetException(new OpenChatException(ErrorIds.ConnectionLost, ErrorKind.Unavailable, "The connection to the server was lost."));
            }

            return completion.Task;
        }

        public void Complete(uint tag, IMessage message)
        {
            if (_pending.TryRemove(tag, out var completion))
            {
                completion.TrySetResult(message);
            }
        }

        public void Fail(uint tag, Exception exception)
        {
            if (_pending.TryRemove(tag, out var completion))
            {
                completion.TrySetException(exception);
            }
        }

        public void TrackPublish(uint tag, Guid messageId) => _publishes[tag] = messageId;

        public bool TakePublish(uint tag, out Guid messageId) => _publishes.TryRemove(tag, out messageId);

        public void FailPending(Exception exception)
        {
            foreach (var tag in _pending.Keys)
            {
                Fail(tag, exception);
            }
        }

        public void Kill()
        {
            if (Interlocked.Exchange(ref _dead, 1) != 0)
            {
                return;
            }

            _outgoing.Writer.TryComplete();
            _closing.Cancel();
            _stream.Dispose();
        }

        private async Task WriteLoopAsync()
        {
            try
            {
                while (await _outgoing.Reader.WaitToReadAsync(_closing.Token).ConfigureAwait(false))
                {
                    while (_outgoing.Reader.TryRead(out var frame))
                    {
                        await _stream.WriteAsync(frame, _closing.Token).ConfigureAwait(false);
                    }

                    await _stream.FlushAsync(_closing.Token).ConfigureAwait(false);
                }
            }
            catch (Exception)
            {
                Kill();
            }
        }
    }
}
