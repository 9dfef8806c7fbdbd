using System.Text.RegularExpressions;
using OpenChat.Cmdlets.Diagnostics;
using OpenChat.Cmdlets.Terminal;
using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Cmdlets;

/// <summary>Attachments on Enter-ChatRoom's screen: shown with sender, name and size (the name
/// neutralised), and /save [n] writes the latest (or nth latest) into the save directory.</summary>
public class TerminalFileTests
{
    [Fact]
    public async Task An_attachment_shows_its_sender_name_and_size_and_save_writes_it_to_the_current_directory()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var saveTo = Directory.CreateDirectory(temp.Combine("here")).FullName;
        await using var h = await ChatHarness.StartAsync();
        await using var alice = await h.SecureAsync(await h.EnrollAsync("alice"));
        await using var bob = await h.SecureAsync(await h.EnrollAsync("bob"));
        await alice.CreateRoomAsync("ops");
        await bob.EnterAsync("ops");
        var console = new TestChatConsole(110, 24);
        using var stop = new CancellationTokenSource();
        var chat = new TerminalChat(new ChatSession(alice), "ops", console, new MemoryRoomHistory(), new DeferredLogger(), stop.Token) { SaveDirectory = saveTo };
        var running = Task.Factory.StartNew(chat.Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await console.WaitForTextAsync(@"Joined ops\.(.|\n)*\| Connected");
            var first = temp.Combine("first.txt");
            File.WriteAllText(first, "the first file");
            var second = temp.Combine("second.bin");
            File.WriteAllBytes(second, new byte[3000]);
            await bob.SendFileAsync("ops", first);
            await bob.SendFileAsync("ops", second, name: "evil\u001b[2J\u202e.txt");

            await console.WaitForTextAsync(@"^\d\d:\d\d · bob: \[file\] first\.txt \(14 bytes\)");
            await console.WaitForTextAsync(Regex.Escape("bob: [file] evil␛[2J\\u202e.txt (2.9 KB)"));

            console.Enter("/save 2");
            await console.WaitForTextAsync(@"Saved first\.txt \(14 bytes\) as ");
            Assert.Equal("the first file", File.ReadAllText(Path.Combine(saveTo, "first.txt")));

            console.Enter("/save");
            await console.WaitForTextAsync(@"Saved evil.* as ");
            var saved = Assert.Single(Directory.GetFiles(saveTo), f => !f.EndsWith("first.txt", StringComparison.Ordinal));
            Assert.Equal(3000, new FileInfo(saved).Length);
            Assert.Equal("evil_[2J_.txt", Path.GetFileName(saved)); // controls and the bidi override replaced

            console.Enter("/save 9");
            await console.WaitForTextAsync(@"Only 2 attachment\(s\) in ops");
        }
        finally
        {
            stop.Cancel();
            await running.WaitAsync(TimeSpan.FromSeconds(20));
        }
    }
}
