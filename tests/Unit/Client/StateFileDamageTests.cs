using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OpenChat.Engine.Client;
using OpenChat.Engine.Crypto;

namespace OpenChat.Tests.Unit.Client;

/// <summary>
/// State files read back at start that are not what the client wrote (edited by hand, cut by a
/// disk, or found by the state fuzz targets): the end-to-end state is refused with one
/// <see cref="CryptoException"/>, never a null or a key error met later; the plain state.json
/// keeps what is whole and leaves out the null parts.
/// </summary>
public sealed class StateFileDamageTests
{
    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    private static byte[] AgreementKey()
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKey();
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("{\"AgreementKey\":null}")]
    [InlineData("{\"Rooms\":null}")]
    [InlineData("{\"Rooms\":{\"general\":null}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":null}}}")]
    [InlineData("{\"Outbox\":[null]}")]
    [InlineData("{\"Outbox\":[{\"Room\":null}]}")]
    [InlineData("{\"Undelivered\":[{\"Room\":\"general\",\"Text\":null}]}")]
    [InlineData("{\"Revoked\":[null]}")]
    [InlineData("{\"RevokedAt\":null}")]
    [InlineData("{\"Package\":\"AQID\"}")]
    public void A_session_state_with_a_part_missing_or_unreadable_is_refused_as_damaged(string json)
    {
        var e = Assert.Throws<CryptoException>(() => SessionStateFile.Read(Utf8(json)));
        Assert.Contains("damaged", e.Message);
    }

    [Fact]
    public void A_saved_session_state_reads_back_with_its_key_and_an_empty_package_is_no_package()
    {
        var saved = new SessionStateFile { AgreementKey = AgreementKey(), Outbox = [new QueuedMessage { Room = "general", Text = "hi" }] };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(saved, SessionJson.Default.SessionStateFile);
        Assert.Contains("\"Package\":\"\"", Encoding.UTF8.GetString(bytes)); // how the serializer writes a null array

        var back = SessionStateFile.Read(bytes);
        using var key = back.ImportAgreementKey();

        Assert.Equal(256, key.KeySize);
        Assert.Equal("hi", Assert.Single(back.Outbox).Text);
    }

    [Fact]
    public void An_agreement_key_that_is_not_a_p256_private_key_is_refused_as_damaged()
    {
        using var p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        byte[] good = AgreementKey();
        foreach (var bad in new[] { [], [1, 2, 3], p384.ExportPkcs8PrivateKey(), rsa.ExportPkcs8PrivateKey(), [.. good, 0] })
        {
            var state = new SessionStateFile { AgreementKey = bad };
            var e = Assert.Throws<CryptoException>(() => state.ImportAgreementKey());
            Assert.Contains("key-agreement key", e.Message);
        }
    }

    [Fact]
    public void A_profile_state_with_null_parts_keeps_the_rest()
    {
        var id = Guid.NewGuid();
        var json = $$"""
            {"LastRead":null,"Nodes":[null,"chat.example.org:7443"],"NodesLeftOut":null,
             "Outbox":[null,{"Room":null,"Body":"AQ=="},{"Room":"general","MessageId":"{{id}}","Body":null},{"Room":"general","MessageId":"{{id}}","Body":"AQI="}]}
            """;

        var state = ClientState.Read(Utf8(json));

        Assert.Empty(state.LastRead);
        Assert.Equal(["chat.example.org:7443"], state.Nodes);
        Assert.Empty(state.NodesLeftOut);
        var kept = Assert.Single(state.Outbox);
        Assert.Equal(("general", id), (kept.Room, kept.MessageId));
        Assert.Equal([1, 2], kept.Body);
        Assert.True(state.LastRead.TryAdd("general", 1)); // the dictionary is usable, not null
    }

    [Fact]
    public void A_profile_state_that_is_not_json_is_the_declared_error()
    {
        Assert.ThrowsAny<JsonException>(() => ClientState.Read(Utf8("{\"Outbox\":")));
        Assert.Empty(ClientState.Read(Utf8("null")).Outbox);
    }
}
