using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using OpenChat.Engine;
using OpenChat.Engine.Client;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Server;
using OpenChat.Engine.Storage.Backup;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Storage.Backup;

public class ServerBackupTests
{
    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task A_backup_under_a_live_writer_restores_every_message_acknowledged_before_it_began_and_a_working_CA()
    {
        await using var h = await ChatHarness.StartAsync();
        using var temp = new TempDirectory();
        var alice = await h.UserAsync("alice");
        await alice.CreateRoomAsync("ops");

        var acknowledged = new ConcurrentDictionary<ulong, string>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var text = $"m{i}";
                acknowledged[await alice.PublishAsync("ops", Text(text))] = text;
            }
        });
        await Eventually.TrueAsync(() => acknowledged.Count >= 50 || writer.IsCompleted, "50 acknowledged messages");

        var before = acknowledged.ToArray();
        var countAtStart = before.Length;
        var backup = await Task.Run(() => new ServerBackup().Create(h.DataPath, temp.Combine("backup")));
        // The writer was still going: some messages were acknowledged while the copy ran or after it.
        await Eventually.TrueAsync(() => acknowledged.Count > countAtStart + 10 || writer.IsCompleted, "more messages after the backup");
        await stop.CancelAsync();
        await writer;

        Assert.Contains(backup.Manifest.Files, f => f.Path == "messages.db" && f.SchemaVersion == OpenChat.Engine.Storage.MessageStoreSchema.Version);
        Assert.Contains(backup.Manifest.Files, f => f.Path == CaDirectory.StoreFile && f.SchemaVersion == OpenChat.Engine.Storage.SqliteCaStore.SchemaVersion);
        Assert.Contains(backup.Manifest.Files, f => f.Path == CaDirectory.KeyFile);
        Assert.Contains(backup.Manifest.Files, f => f.Path == CaDirectory.ServerKeyFile);
        Assert.DoesNotContain(backup.Manifest.Files, f => f.Path.EndsWith("-wal", StringComparison.Ordinal) || f.Path == OpenChat.Engine.Server.ChatServer.LockFile);
        Assert.False(backup.DatabaseNotIncluded);

        var restored = new ServerRestore().Restore(backup.Path, temp.Combine("restored"));
        var server = await OpenChat.Engine.Server.ChatServer.StartAsync(restored.Path, new ChatServerOptions { Port = 0 });
        try
        {
            // The restored CA issues an invite, and a new user enrolls with it.
            var (_, invite) = new InviteBook(new CaDirectory(restored.Path)).Create("carol", server: $"127.0.0.1:{server.Endpoint.Port}");
            var carolProfile = await ChatEnrollment.RegisterAsync(invite.ToString(), temp.Combine("profiles"), ReadOnlyMemory<char>.Empty, TimeSpan.FromSeconds(10), CancellationToken.None);
            await using var carol = await ChatClient.ConnectAsync(carolProfile, ReadOnlyMemory<char>.Empty, new ChatClientOptions());
            var joined = await carol.JoinAsync("ops", fromSequence: 1);
            var last = before.Max(p => p.Key);
            Assert.True(joined.LastSequence >= last, $"the restored room ends at {joined.LastSequence}, before {last}");

            var history = new Dictionary<ulong, string>();
            while (history.Count < (int)last)
            {
                var e = await Eventually.NextAsync(carol);
                history[e.Sequence] = Encoding.UTF8.GetString(e.Body);
            }

            foreach (var (sequence, text) in before)
            {
                Assert.Equal(text, history[sequence]);
            }
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task Backup_files_and_folders_are_readable_by_their_owner_only()
    {
        await using var h = await ChatHarness.StartAsync();
        using var temp = new TempDirectory();
        var backup = new ServerBackup().Create(h.DataPath, temp.Combine("backup"));
        var restored = new ServerRestore().Restore(backup.Path, temp.Combine("restored"));
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var root in new[] { backup.Path, restored.Path })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(root));
            foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories))
            {
                Assert.True((File.GetUnixFileMode(file) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) == 0, $"{file} is {File.GetUnixFileMode(file)}");
            }
        }
    }

    [Theory]
    [InlineData("changed")]
    [InlineData("missing")]
    [InlineData("extra")]
    [InlineData("manifest hash")]
    [InlineData("no manifest")]
    [InlineData("path outside")]
    public async Task A_backup_that_does_not_match_its_manifest_is_refused_and_nothing_is_restored(string damage)
    {
        await using var h = await ChatHarness.StartAsync();
        using var temp = new TempDirectory();
        var backup = new ServerBackup().Create(h.DataPath, temp.Combine("backup")).Path;
        var manifestPath = Path.Combine(backup, BackupManifest.FileName);
        switch (damage)
        {
            case "changed":
                var key = Path.Combine(backup, CaDirectory.ServerCertificateFile);
                File.WriteAllText(key, File.ReadAllText(key).Replace('A', 'B'));
                break;
            case "missing":
                File.Delete(Path.Combine(backup, CaDirectory.KeyFile));
                break;
            case "extra":
                File.WriteAllText(Path.Combine(backup, "planted.pem"), "x");
                break;
            case "manifest hash":
                var json = JsonNode.Parse(File.ReadAllText(manifestPath))!;
                json["files"]![0]!["sha256"] = new string('0', 64);
                File.WriteAllText(manifestPath, json.ToJsonString());
                break;
            case "no manifest":
                File.Delete(manifestPath);
                break;
            case "path outside":
                var outside = JsonNode.Parse(File.ReadAllText(manifestPath))!;
                outside["files"]![0]!["path"] = "../escape.pem";
                File.WriteAllText(manifestPath, outside.ToJsonString());
                break;
        }

        var refusal = Assert.Throws<OpenChatException>(() => new ServerRestore().Restore(backup, temp.Combine("restored")));

        Assert.Equal(ErrorIds.BackupInvalid, refusal.ErrorId);
        Assert.False(Directory.Exists(temp.Combine("restored")));
        Assert.False(File.Exists(temp.Combine("escape.pem")));
    }

    [Fact]
    public async Task A_destination_that_is_not_empty_is_refused_for_a_backup_and_for_a_restore_and_left_as_it_was()
    {
        await using var h = await ChatHarness.StartAsync();
        using var temp = new TempDirectory();
        var occupied = temp.Combine("occupied");
        Directory.CreateDirectory(occupied);
        File.WriteAllText(Path.Combine(occupied, "keep.txt"), "mine");

        var backupRefusal = Assert.Throws<OpenChatException>(() => new ServerBackup().Create(h.DataPath, occupied));
        var backup = new ServerBackup().Create(h.DataPath, temp.Combine("backup"));
        var restoreRefusal = Assert.Throws<OpenChatException>(() => new ServerRestore().Restore(backup.Path, occupied));
        var fileRefusal = Assert.Throws<OpenChatException>(() => new ServerRestore().Restore(backup.Path, Path.Combine(occupied, "keep.txt")));

        Assert.All(new[] { backupRefusal, restoreRefusal, fileRefusal }, e => Assert.Equal(ErrorIds.BackupDestinationNotEmpty, e.ErrorId));
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(occupied).Select(Path.GetFileName));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(occupied, "keep.txt")));
    }

    [Fact]
    public void A_directory_without_a_CA_is_not_backed_up()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Combine("empty"));

        var refusal = Assert.Throws<OpenChatException>(() => new ServerBackup().Create(temp.Combine("empty"), temp.Combine("backup")));

        Assert.Equal(ErrorIds.BackupSourceInvalid, refusal.ErrorId);
        Assert.False(Directory.Exists(temp.Combine("backup")));
    }

    [Fact]
    public async Task A_restore_into_an_empty_directory_reproduces_every_file_and_the_pre_upgrade_copies_stay_out()
    {
        await using var h = await ChatHarness.StartAsync();
        using var temp = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(h.DataPath, PreUpgradeBackup.DirectoryName));
        File.WriteAllText(Path.Combine(h.DataPath, PreUpgradeBackup.DirectoryName, "pre-upgrade-messages-v0-20260101T000000Z.db"), "old");
        Directory.CreateDirectory(Path.Combine(h.DataPath, "retired-20260101"));
        File.WriteAllText(Path.Combine(h.DataPath, "retired-20260101", "ca.crt.pem"), "retired root");
        Directory.CreateDirectory(temp.Combine("restored"));

        var backup = new ServerBackup().Create(h.DataPath, temp.Combine("backup"));
        var restored = new ServerRestore().Restore(backup.Path, temp.Combine("restored"));

        Assert.DoesNotContain(backup.Manifest.Files, f => f.Path.StartsWith(PreUpgradeBackup.DirectoryName, StringComparison.Ordinal));
        Assert.Equal("retired root", File.ReadAllText(Path.Combine(restored.Path, "retired-20260101", "ca.crt.pem")));
        foreach (var file in new[] { CaDirectory.CertificateFile, CaDirectory.KeyFile, CaDirectory.ServerCertificateFile, CaDirectory.ServerKeyFile })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(h.DataPath, file)), File.ReadAllBytes(Path.Combine(restored.Path, file)));
        }
    }

    [Fact]
    public async Task A_directory_whose_stores_are_in_PostgreSQL_is_backed_up_without_its_database_and_says_so()
    {
        await using var h = await ChatHarness.StartAsync();
        using var temp = new TempDirectory();
        var node = temp.Combine("node");
        Directory.CreateDirectory(node);
        foreach (var file in CaDirectory.NodeFiles)
        {
            File.Copy(Path.Combine(h.DataPath, file), Path.Combine(node, file));
        }

        File.WriteAllText(Path.Combine(node, DeploymentDatabase.FileName), "Host=db.example.org;Database=openchat\n");

        var backup = new ServerBackup().Create(node, temp.Combine("backup"));

        Assert.True(backup.DatabaseNotIncluded);
        Assert.Equal(BackupManifest.PostgresDatabase, backup.Manifest.Database);
        Assert.Contains(backup.Manifest.Files, f => f.Path == DeploymentDatabase.FileName);
        Assert.DoesNotContain(backup.Manifest.Files, f => f.SchemaVersion is not null);
    }

    [Fact]
    public async Task A_data_directory_with_a_symbolic_link_is_refused_naming_the_link_rather_than_backed_up_without_it()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using var h = await ChatHarness.StartAsync();
        using var temp = new TempDirectory();
        // An admin moved a file to another disk and linked it back.
        var elsewhere = temp.Combine("other-disk");
        Directory.CreateDirectory(elsewhere);
        var moved = Path.Combine(elsewhere, "retired.crt.pem");
        File.WriteAllText(moved, "retired root");
        File.CreateSymbolicLink(Path.Combine(h.DataPath, "retired.crt.pem"), moved);

        var refusal = Assert.Throws<OpenChatException>(() => new ServerBackup().Create(h.DataPath, temp.Combine("backup")));

        Assert.Equal(ErrorIds.BackupSourceInvalid, refusal.ErrorId);
        Assert.Contains("retired.crt.pem", refusal.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("backup")));
    }

    [Fact]
    public async Task A_failed_backup_into_an_existing_empty_directory_removes_only_what_it_wrote()
    {
        await using var h = await ChatHarness.StartAsync();
        using var temp = new TempDirectory();
        var destination = temp.Combine("shared");
        Directory.CreateDirectory(destination);
        using var cancel = new CancellationTokenSource();
        // Someone else puts a file there while the backup runs, and then the backup is cut short.
        var progress = new SynchronousProgress(p =>
        {
            if (p.Done == 2)
            {
                File.WriteAllText(Path.Combine(destination, "theirs.txt"), "not the backup's");
                cancel.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => new ServerBackup().Create(h.DataPath, destination, progress, cancel.Token));

        Assert.Equal(["theirs.txt"], Directory.GetFileSystemEntries(destination).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_existing_destination_others_can_write_into_is_refused_and_an_empty_own_one_is_made_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using var h = await ChatHarness.StartAsync();
        using var temp = new TempDirectory();
        var open = temp.Combine("open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
        var own = temp.Combine("own");
        Directory.CreateDirectory(own);
        File.SetUnixFileMode(own, (UnixFileMode)0b111_101_101);

        var refusal = Assert.Throws<OpenChatException>(() => new ServerBackup().Create(h.DataPath, open));
        new ServerBackup().Create(h.DataPath, own);

        Assert.Equal(ErrorIds.BackupDestinationNotEmpty, refusal.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(open));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(own));
    }

    [Fact]
    public async Task A_server_started_on_a_destination_while_it_is_being_restored_is_refused_and_the_restore_completes()
    {
        await using var h = await ChatHarness.StartAsync();
        using var temp = new TempDirectory();
        var backup = new ServerBackup().Create(h.DataPath, temp.Combine("backup"));
        var destination = temp.Combine("restored");
        OpenChatException? refusal = null;
        var progress = new SynchronousProgress(p =>
        {
            if (p.Done == 0)
            {
                refusal = Assert.Throws<OpenChatException>(() => OpenChat.Engine.Server.ChatServer.StartAsync(destination, new ChatServerOptions { Port = 0 }).GetAwaiter().GetResult());
            }
        });

        var restored = new ServerRestore().Restore(backup.Path, destination, progress);

        Assert.Equal(ErrorIds.ServerAlreadyRunning, refusal?.ErrorId);
        Assert.False(File.Exists(Path.Combine(restored.Path, OpenChat.Engine.Server.ChatServer.LockFile)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(h.DataPath, CaDirectory.CertificateFile)), File.ReadAllBytes(Path.Combine(restored.Path, CaDirectory.CertificateFile)));
        var server = await OpenChat.Engine.Server.ChatServer.StartAsync(restored.Path, new ChatServerOptions { Port = 0 });
        await server.StopAsync();
    }

    private sealed class SynchronousProgress(Action<BackupProgress> report) : IProgress<BackupProgress>
    {
        public void Report(BackupProgress value) => report(value);
    }
}
