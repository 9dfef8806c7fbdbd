using System.Text.RegularExpressions;
using OpenChat.Cmdlets.Diagnostics;
using OpenChat.Cmdlets.Terminal;
using OpenChat.Engine.Client;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Cmdlets;

/// <summary>Enter-ChatRoom's screen through its console seam: alice's chat runs on a
/// <see cref="TestChatConsole"/> against a real server, bob is a real secure session in the room.</summary>
public class TerminalChatTests
{
    [Fact]
    public async Task A_line_typed_and_entered_reaches_the_other_member()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("hello bob from the terminal");

        var received = await SecureHarness.NextWithTextAsync(chat.Bob, "hello bob from the terminal");
        Assert.Equal(("alice", true), (received.Sender, received.Verified));
        // Marked pending until the server has it, then shown as sent, with the signed mark.
        await chat.Console.WaitForTextAsync(@"^\d\d:\d\d ✓ alice: hello bob from the terminal$");
    }

    [Fact]
    public async Task A_message_from_another_member_is_shown_under_their_name()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        await chat.Bob.SendAsync("ops", "hi alice, loud and clear");
        await chat.Console.WaitForTextAsync(@"^\d\d:\d\d · bob: hi alice, loud and clear$");
    }

    [Fact]
    public async Task Escape_sequences_bidi_controls_and_a_carriage_return_from_another_member_are_shown_not_obeyed()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        await chat.Bob.SendAsync("ops", "\u001b[2J\u001b]0;owned\u0007\u001b[5mblink \u202eevil\r12:00 ✓ carol: fake line");

        var screen = await chat.Console.WaitForTextAsync(Regex.Escape(@"bob: ␛[2J␛]0;owned␇␛[5mblink \u202eevil␍12:00 ✓ carol: fake line"));
        Assert.Contains("Joined ops", screen); // the screen was not cleared
        Assert.DoesNotMatch(@"(?m)^12:00 ✓ carol", screen); // the fake line stays inside bob's
        Assert.Empty(chat.Console.Read(s => s.Unexpected.ToList())); // every sequence written was the screen's own
        var output = chat.Console.Output;
        Assert.Single(Regex.Matches(output, Regex.Escape("\u001b[2J"))); // the one of the first layout
        // Ordinal: a culture-aware search ignores control characters and finds "]" for ESC ].
        Assert.DoesNotContain("\u001b]", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[5m", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0007', output);
        Assert.DoesNotContain('\u202e', output);
        Assert.DoesNotContain('\r', output);
    }

    [Fact]
    public async Task Backspace_takes_the_last_character_and_Esc_clears_the_line_before_it_is_sent()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Type("scrap this");
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == "> scrap this", "the typed line");
        chat.Console.Press(ConsoleKey.Escape, '\u001b');
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == ">", "the cleared line");
        chat.Console.Type("helx");
        chat.Console.Press(ConsoleKey.Backspace, '\b');
        chat.Console.Type("lo world");
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == "> hello world", "the edited line");
        chat.Console.Press(ConsoleKey.Enter, '\r');

        Assert.Equal("hello world", (await SecureHarness.NextAsync(chat.Bob)).Text); // the first message bob gets
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == ">", "the line emptied by Enter");
    }

    [Fact]
    public async Task Quit_ends_the_chat_and_gives_the_terminal_back()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/quit");
        await chat.Running.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(chat.Console.Read(s => s.Autowrap && !s.HasScrollRegion));
    }

    [Fact]
    public async Task Ctrl_C_cancelling_the_cmdlet_ends_the_chat()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Stop.Cancel();
        await chat.Running.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(chat.Console.Read(s => s.Autowrap && !s.HasScrollRegion));
    }

    [Fact]
    public async Task Who_lists_the_members_with_their_presence_and_rooms_marks_the_room_on_screen()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/who");
        var screen = await chat.Console.WaitForTextAsync("In ops: ");
        Assert.Matches(@"In ops: .*alice \(online\)", screen);
        Assert.Matches(@"In ops: .*bob \(online\)", screen);

        chat.Console.Enter("/rooms");
        Assert.Matches(@"Rooms: .*\*ops", await chat.Console.WaitForTextAsync("Rooms: "));
    }

    [Fact]
    public async Task Verify_shows_the_safety_number_and_marks_the_contact_only_after_a_yes()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/verify bob");
        await chat.Console.WaitForTextAsync("(y/N)");
        chat.Console.Type("n");
        await chat.Console.WaitForTextAsync("bob was not marked verified.");
        Assert.NotEqual(ContactTrust.Verified, chat.Alice.Contacts().Single(c => c.UserName == "bob").Trust);

        chat.Console.Enter("/verify bob");
        await chat.Console.WaitForTextAsync("(y/N)");
        chat.Console.Type("y");
        await chat.Console.WaitForTextAsync("Marked bob verified.");
        Assert.Equal(ContactTrust.Verified, chat.Alice.Contacts().Single(c => c.UserName == "bob").Trust);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_explains_the_marks_before_a_name()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/help");
        var screen = await chat.Console.WaitForTextAsync("KEY CHANGED");
        Assert.Contains("/verify USER", screen, StringComparison.Ordinal);
        Assert.Matches("✓ you verified", screen);
        Assert.Matches("· not verified yet", screen);
    }

    [Fact]
    public async Task A_long_incoming_line_is_wrapped_to_the_window_and_indented_under_the_sender()
    {
        await using var chat = await AliceOnScreen.StartAsync(width: 40, height: 20);
        var text = string.Concat(Enumerable.Range(0, 300).Select(i => (char)('a' + (i % 26))));
        await chat.Bob.SendAsync("ops", text);

        List<string> Message(VtScreen s) =>
            [.. s.Rows.Take(s.Height - 2).SkipWhile(r => !r.Contains("bob: ", StringComparison.Ordinal)).TakeWhile(r => r.Length > 0)];
        string Shown(List<string> rows) => rows.Count == 0 ? "" : rows[0][(rows[0].IndexOf("bob: ", StringComparison.Ordinal) + 5)..] + string.Concat(rows.Skip(1).Select(r => r.TrimStart()));
        await chat.Console.WaitForAsync(s => Shown(Message(s)) == text, "the whole message");
        var message = chat.Console.Read(Message);
        Assert.True(message.Count > 8, string.Join('\n', message));
        Assert.All(message.Skip(1), r => Assert.StartsWith(new string(' ', 2), r));
        Assert.Equal(0, chat.Console.Read(s => s.CutCharacters)); // no row was wider than the window
    }

    [Fact]
    public async Task A_line_typed_longer_than_the_window_shows_its_end()
    {
        await using var chat = await AliceOnScreen.StartAsync(width: 40, height: 20);
        var typed = string.Concat(Enumerable.Range(0, 100).Select(i => (char)('a' + (i % 26))));
        chat.Console.Type(typed);
        await chat.Console.WaitForAsync(s => s.Row(s.Height - 1) == "> " + typed[^37..], "the end of the typed line");
        Assert.Equal(0, chat.Console.Read(s => s.CutCharacters));
    }

    [Fact]
    public async Task A_resized_window_is_laid_out_again_with_the_messages_kept()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        await chat.Bob.SendAsync("ops", "before the resize");
        await chat.Console.WaitForTextAsync("bob: before the resize");

        chat.Console.Resize(70, 14);
        var screen = await chat.Console.WaitForAsync(
            s => s.Height == 14 && s.Row(13).StartsWith('>') && s.Row(12).StartsWith(" ops | alice@", StringComparison.Ordinal), "the new layout");
        Assert.Contains("bob: before the resize", screen);
    }

    [Fact]
    public async Task A_command_that_fails_is_shown_on_the_screen_and_logged_without_what_was_typed()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/join not/a-room");
        await chat.Console.WaitForTextAsync(OpenChat.Engine.ErrorIds.RoomNameInvalid + ": ");

        var logged = Assert.Single(chat.Log.Take());
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, logged.Level);
        Assert.Contains("TerminalCommandRefused", logged.Text);
        Assert.Contains("/join", logged.Text);
        Assert.Contains(OpenChat.Engine.ErrorIds.RoomNameInvalid, logged.Text);
        Assert.DoesNotContain("not/a-room", logged.Text);
    }

    [Fact]
    public async Task Join_of_a_missing_room_suggests_the_nearest_and_says_how_to_create_it_and_creates_nothing()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/join opss");

        await chat.Console.WaitForTextAsync(Regex.Escape("RoomNotFound: There is no room 'opss'. Did you mean: ops? Create it with /create opss."));
        Assert.DoesNotContain(await chat.Bob.ListRoomsAsync(), r => r.Name == "opss");
        Assert.DoesNotContain("opss", chat.Alice.Client.JoinedRooms);
    }

    [Fact]
    public async Task Create_makes_a_new_room_and_switches_to_it_and_help_names_it()
    {
        await using var chat = await AliceOnScreen.StartAsync();
        chat.Console.Enter("/help");
        await chat.Console.WaitForTextAsync(Regex.Escape("/create ROOM"));

        chat.Console.Enter("/create Dev");

        await chat.Console.WaitForTextAsync("── dev ──");
        await chat.Bob.EnterAsync("dev"); // it exists now, for others to join
        Assert.Contains(await chat.Bob.ListRoomsAsync(), r => r.Name == "dev" && r.Members == 2);
    }

    /// <summary>Alice's chat screen in "ops" on a test console, run on a thread of its own as the
    /// cmdlet runs it on the pipeline thread; bob is in the room too.</summary>
    private sealed class AliceOnScreen : IAsyncDisposable
    {
        private ChatHarness _harness = null!;
        private SecureSession _alice = null!;

        public SecureSession Alice => _alice;

        public SecureSession Bob { get; private set; } = null!;

        public TestChatConsole Console { get; private set; } = null!;

        public DeferredLogger Log { get; } = new();

        public CancellationTokenSource Stop { get; } = new();

        public Task Running { get; private set; } = Task.CompletedTask;

        public static async Task<AliceOnScreen> StartAsync(int width = 110, int height = 24)
        {
            var screen = new AliceOnScreen { _harness = await ChatHarness.StartAsync() };
            screen._alice = await screen._harness.SecureAsync(await screen._harness.EnrollAsync("alice"));
            screen.Bob = await screen._harness.SecureAsync(await screen._harness.EnrollAsync("bob"));
            await screen._alice.CreateRoomAsync("ops");
            await screen.Bob.EnterAsync("ops");
            screen.Console = new TestChatConsole(width, height);
            var chat = new TerminalChat(new ChatSession(screen._alice), "ops", screen.Console, screen.Log, screen.Stop.Token);
            screen.Running = Task.Factory.StartNew(chat.Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await screen.Console.WaitForTextAsync(@"Joined ops\.(.|\n)*\| Connected");
            return screen;
        }

        public async ValueTask DisposeAsync()
        {
            Stop.Cancel();
            try
            {
                await Running.WaitAsync(TimeSpan.FromSeconds(20));
            }
            finally
            {
                await _alice.DisposeAsync();
                await Bob.DisposeAsync();
                await _harness.DisposeAsync();
                Stop.Dispose();
            }
        }
    }
}
