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

    [Theory]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"Members\":null}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"Members\":[null]}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"Room\":null}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"LastCommitHash\":null}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"Packages\":[null]}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"Leaves\":{\"0A\":null}}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"PendingCommits\":[{\"Hash\":null}]}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"Receiving\":{\"0A\":{\"Skipped\":[null]}}}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"Sending\":{\"ChainKey\":null}}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"Roles\":null}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"DepartedSerials\":[null]}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"ExternalPublic\":null}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"HighestGeneration\":null}}}}")]
    [InlineData("{\"Rooms\":{\"general\":{\"Group\":{\"PendingCommits\":[null]}}}}")]
    public void A_saved_room_group_with_a_part_missing_is_refused_as_damaged_before_it_is_restored(string json)
    {
        // Seen when the state loader's fuzz target was taken on through GroupState.Import: a null
        // there threw (null reference, null argument) out of SecureSession.ConnectAsync, whose catch
        // (CryptoException, JsonException) then left the client's connection open.
        var e = Assert.Throws<CryptoException>(() => SessionStateFile.Read(Utf8(json)));
        Assert.Contains("of room 'general' is missing", e.Message);
    }

    [Fact]
    public void A_saved_room_group_with_every_part_reads()
    {
        var saved = SessionStateFile.Read(Utf8("{\"Rooms\":{\"general\":{\"Group\":{\"Sending\":{\"ChainKey\":\"AQ==\",\"Skipped\":[{\"Key\":\"AQ==\"}]}}}}}"));
        Assert.Null(saved.Rooms["general"].Group.MissingPart());
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

    /// <summary><paramref name="key"/> with the P-256 curve's OID (1.2.840.10045.3.1.7) turned into
    /// 1.2.840.10045.3.1.13, a curve no platform knows.</summary>
    internal static byte[] WithUnknownCurve(byte[] key)
    {
        byte[] p256 = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
        var at = key.AsSpan().IndexOf(p256);
        Assert.True(at >= 0, "the curve's OID is in the key");
        var changed = (byte[])key.Clone();
        changed[at + p256.Length - 1] = 0x0D;
        return changed;
    }

    [Fact]
    public void An_agreement_key_on_a_curve_the_platform_does_not_know_is_refused_as_damaged()
    {
        // Found by fuzzing the session state (bench/fuzz.sh session-state, 2026-12-03): 41 inputs of
        // 42 were this, a PlatformNotSupportedException out of ImportPkcs8PrivateKey.
        var saved = new SessionStateFile { AgreementKey = WithUnknownCurve(AgreementKey()) };
        var back = SessionStateFile.Read(JsonSerializer.SerializeToUtf8Bytes(saved, SessionJson.Default.SessionStateFile));
        var e = Assert.Throws<CryptoException>(() => back.ImportAgreementKey());
        Assert.Contains("does not read", e.Message);
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
