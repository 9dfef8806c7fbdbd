using System.Net;
using OpenChat.Engine;
using OpenChat.Engine.Server;
using OpenChat.Engine.Server.Configuration;
using Xunit;

namespace OpenChat.Tests.Unit.Server.Configuration;

public sealed class ServerConfigurationTests
{
    private const string File = "/etc/openchat/server.psd1";

    private static ServerConfiguration Read(params (string Key, object? Value)[] values) =>
        ServerConfiguration.FromValues(values.Select(v => KeyValuePair.Create(v.Key, v.Value)), File);

    private static OpenChatException Refused(params (string Key, object? Value)[] values) =>
        Assert.Throws<OpenChatException>(() => Read(values));

    [Fact]
    public void Every_option_key_is_applied_to_the_options_and_read_back()
    {
        var configuration = Read(
            ("port", 7000), ("Address", "0.0.0.0"), ("MaxConnections", 10L), ("PublishesPerSecond", 12.5),
            ("IdleTimeout", "00:02:00"), ("HandshakeTimeout", 5), ("RenewalGracePeriod", "12h"), ("MaxFileBytes", 4096L),
            ("Database", "Host=db;Password=hunter2"), ("NodeId", "node-a"));
        var options = configuration.ApplyTo(new ChatServerOptions());

        Assert.Equal(7000, options.Port);
        Assert.Equal(IPAddress.Any, options.Address);
        Assert.Equal(10, options.MaxConnections);
        Assert.Equal(12.5, options.PublishesPerSecond);
        Assert.Equal(TimeSpan.FromMinutes(2), options.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromHours(12), options.RenewalGracePeriod);
        Assert.Equal(4096, options.MaxFileBytes);
        Assert.Equal("node-a", options.NodeId);
        Assert.Equal(ServerConfiguration.FromFile, configuration.SourceOf("PORT"));
    }

    [Fact]
    public void Every_key_of_the_table_reads_back_its_default_when_nothing_is_set()
    {
        var effective = ServerConfiguration.Empty.Effective(new ChatServerOptions());

        Assert.Equal(ServerConfigurationKeys.All.Count, effective.Count);
        Assert.All(effective, e => Assert.Equal(ServerConfiguration.FromDefault, e.Source));
        Assert.Equal(7443, effective.Single(e => e.Key == "Port").Value);
        Assert.Equal("Information", effective.Single(e => e.Key == "LogLevel").Value);
    }

    [Fact]
    public void An_unknown_key_is_refused_naming_the_key_and_the_file()
    {
        var e = Refused(("Port", 1), ("MaxConections", 5));

        Assert.Equal(ErrorIds.ConfigurationInvalid, e.ErrorId);
        Assert.Contains("'MaxConections'", e.Message);
        Assert.Contains(File, e.Message);
    }

    [Fact]
    public void An_unknown_key_close_to_a_real_one_gets_a_suggestion()
    {
        Assert.Contains("Did you mean 'Port'", Refused(("Ports", 1)).Message);
    }

    [Theory]
    [InlineData("Port", "7443")]
    [InlineData("Port", 1.5)]
    [InlineData("Port", true)]
    [InlineData("PublishesPerSecond", "fast")]
    [InlineData("IdleTimeout", "soon")]
    [InlineData("IdleTimeout", false)]
    [InlineData("Address", "localhost:7443")]
    [InlineData("Address", 127)]
    [InlineData("LogLevel", "Verbose")]
    [InlineData("Database", 5)]
    [InlineData("Database", "  ")]
    [InlineData("LogPath", 3)]
    public void A_value_of_the_wrong_type_is_refused_naming_the_key(string key, object value)
    {
        var e = Refused((key, value));

        Assert.Equal(ErrorIds.ConfigurationInvalid, e.ErrorId);
        Assert.Contains($"key '{key}'", e.Message);
        Assert.Contains(File, e.Message);
    }

    [Fact]
    public void A_list_or_a_table_is_refused_where_a_value_belongs()
    {
        Assert.Contains("not a list", Refused(("Port", new List<object?> { 1, 2 })).Message);
        Assert.Contains("not a table", Refused(("Database", new Dictionary<string, object?> { ["Host"] = "db" })).Message);
    }

    [Theory]
    [InlineData("Port", 70000)]
    [InlineData("Port", -1)]
    [InlineData("MaxConnections", 0)]
    [InlineData("MaxStoredFileBytesPerUser", -1)]
    [InlineData("PublishesPerSecond", 0.5)]
    [InlineData("HandshakeTimeout", 0)]
    [InlineData("IdleTimeout", "400d")]
    [InlineData("RenewalGracePeriod", "-00:00:01")]
    public void A_value_out_of_range_is_refused_with_the_range(string key, object value)
    {
        var e = Refused((key, value));

        Assert.Equal(ErrorIds.ConfigurationInvalid, e.ErrorId);
        Assert.Contains($"key '{key}'", e.Message);
        Assert.Contains("out of range", e.Message);
    }

    [Fact]
    public void A_key_without_a_value_is_refused()
    {
        Assert.Contains("no value", Refused(("AdvertisedAddress", null)).Message);
    }

    [Fact]
    public void A_key_given_twice_in_different_case_is_refused()
    {
        Assert.Contains("twice", Refused(("Port", 1), ("PORT", 2)).Message);
    }

    [Fact]
    public void Two_password_sources_in_one_file_are_refused()
    {
        Assert.Contains("two CA passwords", Refused(("CAPasswordFile", "pw"), ("CAPasswordVariable", "PW")).Message);
    }

    [Fact]
    public void A_parameter_overrides_the_file_and_says_so()
    {
        var configuration = Read(("Port", 7000), ("MaxRooms", 50)).WithOverrides([KeyValuePair.Create<string, object?>("Port", 0)]);
        var options = configuration.ApplyTo(new ChatServerOptions());

        Assert.Equal(0, options.Port);
        Assert.Equal(50, options.MaxRooms);
        Assert.Equal(ServerConfiguration.FromParameter, configuration.SourceOf("Port"));
        Assert.Equal(ServerConfiguration.FromFile, configuration.SourceOf("MaxRooms"));
    }

    [Fact]
    public void A_password_source_given_as_a_parameter_replaces_the_files_other_one()
    {
        var configuration = Read(("CAPasswordFile", "pw.txt")).WithOverrides([KeyValuePair.Create<string, object?>("CAPasswordVariable", "PW")]);

        Assert.False(configuration.IsSet("CAPasswordFile"));
        Assert.Equal("PW", configuration.Get<string>("CAPasswordVariable"));
    }

    [Fact]
    public void Paths_in_a_file_are_relative_to_the_files_folder()
    {
        var configuration = Read(("Path", "data"), ("LogPath", "/var/log/openchat.log"));

        Assert.Equal("/etc/openchat/data", configuration.Get<string>("Path"));
        Assert.Equal("/var/log/openchat.log", configuration.Get<string>("LogPath"));
    }

    [Fact]
    public void The_effective_configuration_masks_the_database_password()
    {
        var configuration = Read(("Database", "Host=db;Username=chat;Password=hunter2"));
        var database = configuration.Effective(configuration.ApplyTo(new ChatServerOptions())).Single(e => e.Key == "Database");

        Assert.DoesNotContain("hunter2", (string)database.Value!);
        Assert.Contains("password=***", (string)database.Value!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("***", ServerConfiguration.MaskPassword("Password='unterminated"));
    }

    [Fact]
    public void A_file_rate_without_its_burst_gets_twice_the_rate_up_to_32_MiB()
    {
        Assert.Equal(2048, Read(("FileBytesPerSecond", 1024)).ApplyTo(new ChatServerOptions()).FileBytesBurst);
        Assert.Equal(5000, Read(("FileBytesPerSecond", 1024), ("FileBytesBurst", 5000)).ApplyTo(new ChatServerOptions()).FileBytesBurst);
    }

    [Fact]
    public void A_json_file_is_read_with_the_same_rules()
    {
        var dir = Directory.CreateTempSubdirectory("openchat-config-");
        try
        {
            var good = Path.Combine(dir.FullName, "good.json");
            System.IO.File.WriteAllText(good, """{ "Port": 0, "IdleTimeout": "00:01:30", "PublishBurst": 10, "LogLevel": "warning" }""");
            var configuration = ServerConfiguration.FromJsonFile(good);
            Assert.Equal(TimeSpan.FromSeconds(90), configuration.ApplyTo(new ChatServerOptions()).IdleTimeout);
            Assert.Equal("Warning", configuration.Get<string>("LogLevel"));

            var bad = Path.Combine(dir.FullName, "bad.json");
            System.IO.File.WriteAllText(bad, """{ "Port": "seven" }""");
            var e = Assert.Throws<OpenChatException>(() => ServerConfiguration.FromJsonFile(bad));
            Assert.Contains("key 'Port'", e.Message);
            Assert.Contains(bad, e.Message);

            System.IO.File.WriteAllText(bad, """[ 1, 2 ]""");
            Assert.Equal(ErrorIds.ConfigurationInvalid, Assert.Throws<OpenChatException>(() => ServerConfiguration.FromJsonFile(bad)).ErrorId);

            System.IO.File.WriteAllText(bad, """{ "Port": """);
            Assert.Contains("not valid JSON", Assert.Throws<OpenChatException>(() => ServerConfiguration.FromJsonFile(bad)).Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
