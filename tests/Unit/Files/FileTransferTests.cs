using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Files;
using OpenChat.Engine.Storage;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Files;

public class FileTransferTests
{
    // Reports synchronously on the engine's thread, so a test can act at an exact point.
    private sealed class Probe(Action<long> onReport) : IProgress<long>
    {
        public void Report(long value) => onReport(value);
    }

    private static string WriteRandomFile(TempDirectory temp, string name, int size, byte[]? canary = null)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        if (canary is not null)
        {
            for (var at = 0; at + canary.Length <= size; at += 50_000)
            {
                canary.CopyTo(bytes, at);
            }
        }

        var path = temp.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static (long Files, long Chunks) StoredCounts(string dataPath)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataPath, SqliteFileStore.FileName)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var files = connection.CreateCommand();
        files.CommandText = "SELECT (SELECT COUNT(*) FROM files), (SELECT COUNT(*) FROM chunks)";
        using var reader = files.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task<(SecureSession Alice, SecureSession Bob)> AliceAndBobInOpsAsync(ChatHarness h, ChatClientOptions? bobOptions = null,
        ChatClientOptions? aliceOptions = null)
    {
        var alice = await SecureSession.ConnectAsync(await h.EnrollAsync("alice"), ReadOnlyMemory<char>.Empty,
            aliceOptions ?? new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200) });
        var bob = await SecureSession.ConnectAsync(await h.EnrollAsync("bob"), ReadOnlyMemory<char>.Empty,
            bobOptions ?? new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200) });
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        await alice.SendAsync("ops", "hello");
        await SecureHarness.NextWithTextAsync(bob, "hello");
        return (alice, bob);
    }

    private static async Task<SecureMessage> NextAttachmentAsync(SecureSession session)
    {
        using var cts = new CancellationTokenSource(15_000);
        return await session.ReceiveAsync(cts.Token, m => m.Attachment is not null || m.Problem is not null);
    }

    [Fact]
    public async Task A_file_is_sent_announced_saved_and_equal_and_the_server_holds_only_ciphertext()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await AliceAndBobInOpsAsync(h);
        await using var a = alice;
        await using var b = bob;
        var canary = "CANARY-file-7c2e19d4"u8.ToArray();
        var path = WriteRandomFile(temp, "build.log", 300_000, canary);
        long reported = 0;
        var sent = await alice.SendFileAsync("ops", path, progress: new Probe(v => reported = v));
        Assert.Equal((300_000UL, "build.log", 300_000L), (sent.Size, sent.Name, reported));

        var message = await NextAttachmentAsync(bob);
        Assert.True(message.Verified);
        Assert.Equal(("alice", "build.log", 300_000UL, sent.FileId), (message.Sender, message.Attachment!.Name, message.Attachment.Size, message.Attachment.FileId));
        var destination = Directory.CreateDirectory(temp.Combine("in")).FullName;
        var saved = await bob.SaveFileAsync(message, destination);
        Assert.Equal(Path.Combine(destination, "build.log"), saved);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(saved));
        Assert.Equal(sent.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(saved))));
        Assert.Single(Directory.GetFiles(destination)); // no partial file left

        // Saved again: a numbered name, the first file untouched.
        var again = await bob.SaveFileAsync(message, destination);
        Assert.Equal(Path.Combine(destination, "build (2).log"), again);

        foreach (var file in Directory.GetFiles(h.DataPath).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            Assert.True(copy.ToArray().AsSpan().IndexOf(canary) < 0, $"the file's plaintext is in {Path.GetFileName(file)}");
            Assert.True(copy.ToArray().AsSpan().IndexOf("build.log"u8) < 0, $"the file's name is in {Path.GetFileName(file)}");
        }
    }

    [Fact]
    public async Task An_empty_file_and_a_traversal_name_are_saved_inside_the_destination()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await AliceAndBobInOpsAsync(h);
        await using var a = alice;
        await using var b = bob;
        var path = temp.Combine("empty");
        File.WriteAllBytes(path, []);
        await alice.SendFileAsync("ops", path, name: "../../evil");
        var message = await NextAttachmentAsync(bob);
        Assert.Equal("../../evil", message.Attachment!.Name);
        var destination = Directory.CreateDirectory(temp.Combine("in", "deeper")).FullName;
        var saved = await bob.SaveFileAsync(message, destination);
        Assert.Equal(Path.Combine(destination, "evil"), saved);
        Assert.Empty(File.ReadAllBytes(saved));
        Assert.False(File.Exists(temp.Combine("evil")));
        Assert.False(File.Exists(temp.Combine("in", "evil")));
    }

    [Fact]
    public async Task A_file_over_the_limit_is_refused_before_anything_is_stored()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        await using var h = await ChatHarness.StartAsync(o => o.MaxFileBytes = 100_000);
        var (alice, bob) = await AliceAndBobInOpsAsync(h);
        await using var a = alice;
        await using var b = bob;
        var path = WriteRandomFile(temp, "big.bin", 100_001);
        var refused = await Assert.ThrowsAsync<OpenChatException>(() => alice.SendFileAsync("ops", path));
        Assert.Equal(ErrorIds.FileTooLarge, refused.ErrorId);
        Assert.Equal((0L, 0L), StoredCounts(h.DataPath));
    }

    [Fact]
    public async Task A_file_over_the_users_quota_is_refused_before_anything_is_stored()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        await using var h = await ChatHarness.StartAsync(o => o.MaxStoredFileBytesPerUser = 150_000);
        var (alice, bob) = await AliceAndBobInOpsAsync(h);
        await using var a = alice;
        await using var b = bob;
        await alice.SendFileAsync("ops", WriteRandomFile(temp, "one.bin", 100_000));
        var before = StoredCounts(h.DataPath);
        var refused = await Assert.ThrowsAsync<OpenChatException>(() => alice.SendFileAsync("ops", WriteRandomFile(temp, "two.bin", 60_000)));
        Assert.Equal(ErrorIds.FileQuotaExceeded, refused.ErrorId);
        Assert.Equal(before, StoredCounts(h.DataPath));
        // The quota is per user: bob still has his.
        await bob.SendFileAsync("ops", WriteRandomFile(temp, "three.bin", 60_000));
    }

    [Fact]
    public async Task A_non_member_can_neither_upload_to_a_room_nor_fetch_its_files()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await AliceAndBobInOpsAsync(h);
        await using var a = alice;
        await using var b = bob;
        var sent = await alice.SendFileAsync("ops", WriteRandomFile(temp, "secret.bin", 70_000));

        await using var mallory = await h.UserAsync("mallory");
        var fetch = await Assert.ThrowsAsync<OpenChatException>(() => mallory.FetchFileChunkAsync(sent.FileId, 0, CancellationToken.None));
        Assert.Equal(ErrorIds.FileNotFound, fetch.ErrorId);
        var upload = await Assert.ThrowsAsync<OpenChatException>(() => mallory.BeginFileAsync("ops", 10, 65536, 1, CancellationToken.None));
        Assert.Equal(ErrorIds.NotAMember, upload.ErrorId);
        // Nor may anyone but the uploader add to, inspect or complete an upload.
        var status = await Assert.ThrowsAsync<OpenChatException>(() => bob.Client.FileStateAsync(sent.FileId, CancellationToken.None));
        Assert.Equal(ErrorIds.FileNotFound, status.ErrorId);
        // A member may fetch.
        Assert.NotEmpty(await bob.Client.FetchFileChunkAsync(sent.FileId, 0, CancellationToken.None));
    }

    [Fact]
    public async Task A_chunk_of_the_wrong_length_is_refused_and_an_upload_cannot_complete_with_chunks_missing()
    {
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await AliceAndBobInOpsAsync(h);
        await using var a = alice;
        await using var b = bob;
        var id = await alice.Client.BeginFileAsync("ops", 70_000, 65536, 2, CancellationToken.None);
        var wrong = await Assert.ThrowsAsync<OpenChatException>(() => alice.Client.PutFileChunkAsync(id, 0, new byte[100], CancellationToken.None));
        Assert.Equal(ErrorIds.ProtocolViolation, wrong.ErrorId);
        await alice.Client.PutFileChunkAsync(id, 0, new byte[65536 + 16], CancellationToken.None);
        var incomplete = await Assert.ThrowsAsync<OpenChatException>(() => alice.Client.CompleteFileAsync(id, CancellationToken.None));
        Assert.Equal(ErrorIds.ProtocolViolation, incomplete.ErrorId);
        var state = await alice.Client.FileStateAsync(id, CancellationToken.None);
        Assert.True(state.Has(0));
        Assert.False(state.Has(1));
        Assert.False(state.Complete);
        // Not complete: nobody can fetch it yet.
        Assert.Equal(ErrorIds.FileNotFound, (await Assert.ThrowsAsync<OpenChatException>(() => bob.Client.FetchFileChunkAsync(id, 0, CancellationToken.None))).ErrorId);
    }

    [Fact]
    public async Task An_upload_cut_off_half_way_resumes_with_the_chunks_the_server_lacks()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        await using var h = await ChatHarness.StartAsync();
        await using var relay = new TcpRelay(h.Server.Endpoint.Port);
        var (alice, bob) = await AliceAndBobInOpsAsync(h,
            aliceOptions: new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), Server = relay.Address });
        await using var a = alice;
        await using var b = bob;
        var path = WriteRandomFile(temp, "big.bin", 2_000_000);
        var cut = 0;
        var sent = await alice.SendFileAsync("ops", path, progress: new Probe(done =>
        {
            if (done >= 1_000_000 && Interlocked.Exchange(ref cut, 1) == 0)
            {
                relay.Cut();
                _ = Task.Run(async () =>
                {
                    await Eventually.TrueAsync(() => alice.Client.State == ChatClientState.Reconnecting, "alice to notice");
                    relay.Start();
                });
            }
        }));
        Assert.Equal(1, cut);

        var message = await NextAttachmentAsync(bob);
        var saved = await bob.SaveFileAsync(message, Directory.CreateDirectory(temp.Combine("in")).FullName);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(saved));
        Assert.Equal(sent.Sha256, message.Attachment!.HashHex);
    }

    [Fact]
    public void A_chunk_read_again_for_a_resend_must_be_the_bytes_first_sent_under_its_nonce()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var path = WriteRandomFile(temp, "log.bin", 3 * FileLimits.ChunkSize);
        var buffer = new byte[FileLimits.ChunkSize];
        byte[] first;
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            RandomAccess.Read(handle, buffer, FileLimits.ChunkSize);
            first = SHA256.HashData(buffer);
            FileUpload.ReadAgain(handle, 1, (uint)FileLimits.ChunkSize, buffer, first); // unchanged: fine
        }

        // Rewritten in between (a log that rotated): chunk 1 now holds other bytes.
        using (var writer = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            writer.Write(RandomNumberGenerator.GetBytes(3 * FileLimits.ChunkSize));
        }

        using var again = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var refused = Assert.Throws<IOException>(() => FileUpload.ReadAgain(again, 1, (uint)FileLimits.ChunkSize, buffer, first));
        Assert.Contains("changed while it was being sent", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_download_cut_off_half_way_resumes_and_one_cancelled_continues_from_its_partial_file()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        await using var h = await ChatHarness.StartAsync();
        await using var relay = new TcpRelay(h.Server.Endpoint.Port);
        var (alice, bob) = await AliceAndBobInOpsAsync(h,
            bobOptions: new ChatClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(200), Server = relay.Address });
        await using var a = alice;
        await using var b = bob;
        var path = WriteRandomFile(temp, "big.bin", 2_000_000);
        await alice.SendFileAsync("ops", path);
        var message = await NextAttachmentAsync(bob);
        var destination = Directory.CreateDirectory(temp.Combine("in")).FullName;

        var cut = 0;
        var saved = await bob.SaveFileAsync(message, destination, progress: new Probe(done =>
        {
            if (done >= 1_000_000 && Interlocked.Exchange(ref cut, 1) == 0)
            {
                relay.Cut();
                _ = Task.Run(async () =>
                {
                    await Eventually.TrueAsync(() => bob.Client.State == ChatClientState.Reconnecting, "bob to notice");
                    relay.Start();
                });
            }
        }));
        Assert.Equal(1, cut);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(saved));

        // Cancelled half-way: the partial file stays, and the next save starts from it.
        var other = Directory.CreateDirectory(temp.Combine("other")).FullName;
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bob.SaveFileAsync(message, other, progress: new Probe(done =>
        {
            if (done >= 1_000_000)
            {
                cancel.Cancel();
            }
        }), cancellationToken: cancel.Token));
        var partial = Assert.Single(Directory.GetFiles(other));
        Assert.StartsWith(".openchat-", Path.GetFileName(partial), StringComparison.Ordinal);
        long first = -1;
        var resumed = await bob.SaveFileAsync(message, other, progress: new Probe(done => { if (first < 0) first = done; }));
        Assert.True(first >= 1_000_000 - FileLimits.ChunkSize, $"resumed at {first}");
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(resumed));
        Assert.Single(Directory.GetFiles(other));
    }

    [Fact]
    public async Task A_link_planted_under_the_partial_files_name_is_refused_and_its_target_left_alone()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await AliceAndBobInOpsAsync(h);
        await using var a = alice;
        await using var b = bob;
        var path = WriteRandomFile(temp, "f.bin", 100_000);
        await alice.SendFileAsync("ops", path);
        var message = await NextAttachmentAsync(bob);
        var destination = Directory.CreateDirectory(temp.Combine("shared")).FullName;
        var victim = temp.Combine("precious.txt");
        File.WriteAllText(victim, "bob's own words");
        File.CreateSymbolicLink(Path.Combine(destination, $".openchat-{message.Attachment!.FileId:N}.partial"), victim);

        var refused = await Assert.ThrowsAsync<OpenChatException>(() => bob.SaveFileAsync(message, destination));

        Assert.Equal(ErrorIds.FileCorrupt, refused.ErrorId);
        Assert.Equal("bob's own words", File.ReadAllText(victim));
        Assert.Single(Directory.GetFileSystemEntries(destination)); // only the link: nothing saved
    }

    [Fact]
    public async Task A_partial_file_tampered_with_on_disk_fails_the_whole_file_check_and_is_not_saved()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await AliceAndBobInOpsAsync(h);
        await using var a = alice;
        await using var b = bob;
        var path = WriteRandomFile(temp, "f.bin", 200_000);
        await alice.SendFileAsync("ops", path);
        var message = await NextAttachmentAsync(bob);
        var destination = Directory.CreateDirectory(temp.Combine("in")).FullName;
        // A "partial" with one whole chunk of wrong bytes, as if left there by someone else.
        File.WriteAllBytes(Path.Combine(destination, $".openchat-{message.Attachment!.FileId:N}.partial"), new byte[FileLimits.ChunkSize]);
        var refused = await Assert.ThrowsAsync<OpenChatException>(() => bob.SaveFileAsync(message, destination));
        Assert.Equal(ErrorIds.FileCorrupt, refused.ErrorId);
        Assert.Empty(Directory.GetFiles(destination));
        // Tried again, it starts over and succeeds.
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(await bob.SaveFileAsync(message, destination)));
    }

    [Fact]
    public async Task An_incomplete_upload_is_deleted_after_its_lifetime_on_the_servers_clock()
    {
        var clock = new ManualTime(DateTimeOffset.UtcNow);
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        using var store = new SqliteFileStore(temp.Combine(SqliteFileStore.FileName));
        var old = new StoredFile(Guid.NewGuid(), "ops", "alice", 10, 65536, 1, clock.GetUtcNow(), null);
        var done = new StoredFile(Guid.NewGuid(), "ops", "alice", 10, 65536, 1, clock.GetUtcNow(), null);
        store.Create(old);
        store.Create(done);
        store.PutChunk(old.Id, 0, new byte[26]);
        store.PutChunk(done.Id, 0, new byte[26]);
        store.MarkComplete(done.Id, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromHours(25));
        Assert.Equal(1, store.DeleteIncompleteBefore(clock.GetUtcNow() - TimeSpan.FromHours(24)));
        Assert.Null(store.Find(old.Id));
        Assert.Empty(store.ChunksOf(old.Id));
        Assert.NotNull(store.ReadChunk(done.Id, 0));
        Assert.Equal(10UL, store.BytesOwnedBy("alice"));
    }

    [Fact]
    public void The_server_deletes_an_upload_left_incomplete_past_its_lifetime_by_its_own_clock()
    {
        var clock = new ManualTime(DateTimeOffset.UtcNow);
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        using var store = new SqliteFileStore(temp.Combine(SqliteFileStore.FileName));
        var files = new OpenChat.Engine.Server.FileRequests(store, null!, new OpenChat.Engine.Server.ChatServerOptions { IncompleteFileLifetime = TimeSpan.FromHours(1) },
            clock, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var upload = new StoredFile(Guid.NewGuid(), "ops", "alice", 10, 65536, 1, clock.GetUtcNow(), null);
        store.Create(upload);
        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(0, files.CleanIncomplete()); // not old enough
        clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(1, files.CleanIncomplete());
        Assert.Null(store.Find(upload.Id));
        Assert.Equal(0UL, store.BytesOwnedBy("alice")); // its share of the quota is back
    }

    [Fact]
    public async Task A_file_sent_to_a_user_arrives_in_the_direct_conversation()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        await using var h = await ChatHarness.StartAsync();
        var (alice, bob) = await AliceAndBobInOpsAsync(h);
        await using var a = alice;
        await using var b = bob;
        var direct = await alice.DirectRoomAsync("bob");
        var path = WriteRandomFile(temp, "for-bob.bin", 5000);
        var sent = await alice.SendFileAsync(direct, path);
        Assert.Equal(OpenChat.Engine.Protocol.RoomNames.Direct("alice", "bob"), sent.Room);
        var message = await NextAttachmentAsync(bob);
        Assert.Equal(direct, message.Room);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(await bob.SaveFileAsync(message, Directory.CreateDirectory(temp.Combine("in")).FullName)));
    }
}
