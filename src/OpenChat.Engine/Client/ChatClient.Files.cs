using OpenChat.Engine.Protocol;

namespace OpenChat.Engine.Client;

/// <summary>The file requests of one connection (docs/protocol.md, "Files"): what
/// <see cref="FileUpload"/> and <see cref="FileDownload"/> are made of. Each answer is checked
/// against the question: a server that answers for another file or chunk breaks the protocol.</summary>
public sealed partial class ChatClient
{
    internal async Task<Guid> BeginFileAsync(string room, ulong size, uint chunkSize, uint chunkCount, CancellationToken cancellationToken) =>
        (await RequestAsync<FileBegun>(tag => new FileBegin(tag, room, size, chunkSize, chunkCount), cancellationToken).ConfigureAwait(false)).FileId;

    internal async Task PutFileChunkAsync(Guid fileId, uint index, byte[] data, CancellationToken cancellationToken)
    {
        var stored = await RequestAsync<FileChunkStored>(tag => new FileChunk(tag, fileId, index, data), cancellationToken).ConfigureAwait(false);
        if (stored.FileId != fileId || stored.Index != index)
        {
            throw Mismatch("chunk acknowledgement");
        }
    }

    internal async Task<FileState> FileStateAsync(Guid fileId, CancellationToken cancellationToken)
    {
        var state = await RequestAsync<FileState>(tag => new FileRequest(MessageType.FileStatus, tag, fileId), cancellationToken).ConfigureAwait(false);
        return state.FileId == fileId ? state : throw Mismatch("upload state");
    }

    internal async Task CompleteFileAsync(Guid fileId, CancellationToken cancellationToken)
    {
        var done = await RequestAsync<FileCompleted>(tag => new FileRequest(MessageType.FileComplete, tag, fileId), cancellationToken).ConfigureAwait(false);
        if (done.FileId != fileId)
        {
            throw Mismatch("completion");
        }
    }

    internal async Task<byte[]> FetchFileChunkAsync(Guid fileId, uint index, CancellationToken cancellationToken)
    {
        var chunk = await RequestAsync<FileChunkData>(tag => new FileFetch(tag, fileId, index), cancellationToken).ConfigureAwait(false);
        return chunk.FileId == fileId && chunk.Index == index ? chunk.Data : throw Mismatch("chunk");
    }

    /// <summary>Returns once the client is connected (at once if it is); fails if it closed for
    /// good. What a transfer waits on after its connection dropped, before it resumes.</summary>
    internal async Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(object? sender, ChatClientStateChangedEventArgs e)
        {
            if (e.State == ChatClientState.Connected)
            {
                connected.TrySetResult();
            }
            else if (e.State == ChatClientState.Closed)
            {
                connected.TrySetException(Closed());
            }
        }

        StateChanged += OnChanged;
        try
        {
            if (State == ChatClientState.Connected)
            {
                return;
            }

            if (State == ChatClientState.Closed)
            {
                throw Closed();
            }

            await connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            StateChanged -= OnChanged;
        }
    }

    private static OpenChatException Mismatch(string what) =>
        new(ErrorIds.ProtocolViolation, ErrorKind.InvalidData, $"The server answered a file request with the {what} of another file or chunk.");
}
