using System.Diagnostics;
using System.Text;
using OpenChat.Engine.Crypto;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Crypto;

public class FernetTests
{
    private static DateTimeOffset Time(System.Text.Json.JsonElement e) => DateTimeOffset.Parse(e.GetProperty("now").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    private static byte[] Key(System.Text.Json.JsonElement e) => Fernet.KeyFromBase64(e.GetProperty("secret").GetString()!);

    [Fact]
    public void Generates_the_specs_tokens_exactly()
    {
        var cases = Vectors.Load("fernet/generate.json").EnumerateArray().ToList();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var iv = c.GetProperty("iv").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray();
            var token = Fernet.Encrypt(Key(c), Encoding.UTF8.GetBytes(c.GetProperty("src").GetString()!), Time(c), iv);
            Assert.Equal(c.GetProperty("token").GetString(), token);
        }
    }

    [Fact]
    public void Verifies_the_specs_tokens()
    {
        var cases = Vectors.Load("fernet/verify.json").EnumerateArray().ToList();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var plain = Fernet.Decrypt(Key(c), c.GetProperty("token").GetString()!, Time(c), TimeSpan.FromSeconds(c.GetProperty("ttl_sec").GetInt32()));
            Assert.Equal(c.GetProperty("src").GetString(), Encoding.UTF8.GetString(plain));
        }
    }

    [Fact]
    public void Refuses_every_invalid_token_in_the_spec()
    {
        var cases = Vectors.Load("fernet/invalid.json").EnumerateArray().ToList();
        Assert.Equal(8, cases.Count);
        foreach (var c in cases)
        {
            var e = Record.Exception(() => Fernet.Decrypt(Key(c), c.GetProperty("token").GetString()!, Time(c), TimeSpan.FromSeconds(c.GetProperty("ttl_sec").GetInt32())));
            Assert.True(e is CryptoException, $"'{c.GetProperty("desc").GetString()}' was not refused ({e?.GetType().Name ?? "accepted"})");
        }
    }

    [Fact]
    public void Round_trips_and_detects_any_flipped_bit()
    {
        var key = new byte[32];
        Random.Shared.NextBytes(key);
        var token = Fernet.Encrypt(key, "attack at dawn"u8);
        Assert.Equal("attack at dawn", Encoding.UTF8.GetString(Fernet.Decrypt(key, token, DateTimeOffset.UtcNow)));
        var raw = Convert.FromBase64String(token.Replace('-', '+').Replace('_', '/'));
        for (var i = 0; i < raw.Length; i++)
        {
            var tampered = (byte[])raw.Clone();
            tampered[i] ^= 0x01;
            var text = Convert.ToBase64String(tampered).Replace('+', '-').Replace('/', '_');
            Assert.Throws<CryptoException>(() => Fernet.Decrypt(key, text, DateTimeOffset.UtcNow));
        }

        var otherKey = (byte[])key.Clone();
        otherKey[0] ^= 1;
        Assert.Throws<CryptoException>(() => Fernet.Decrypt(otherKey, token, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Interoperates_with_pythons_cryptography_fernet()
    {
        var key = Fernet.GenerateKey();
        var ours = Fernet.Encrypt(Fernet.KeyFromBase64(key), "made in .NET ✓"u8);
        var script = """
            import sys
            from cryptography.fernet import Fernet
            f = Fernet(sys.argv[1].encode())
            print(f.decrypt(sys.argv[2].encode()).decode('utf-8'))
            print(f.encrypt('made in Python ✓'.encode('utf-8')).decode())
            """;
        var output = Python(script, key, ours);
        Assert.Equal("made in .NET ✓", output[0]);
        Assert.Equal("made in Python ✓", Encoding.UTF8.GetString(Fernet.Decrypt(Fernet.KeyFromBase64(key), output[1], DateTimeOffset.UtcNow)));
    }

    internal static string[] Python(string script, params string[] args)
    {
        var info = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        info.Environment["PYTHONIOENCODING"] = "utf-8";
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python failed: {stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
