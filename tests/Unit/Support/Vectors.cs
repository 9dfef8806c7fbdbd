using System.Text.Json;

namespace OpenChat.Tests.Unit.Support;

/// <summary>Loads the outside vectors copied under tests/Unit/Vectors.</summary>
public static class Vectors
{
    public static JsonElement Load(string relativePath) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", relativePath))).RootElement;

    public static byte[] Hex(JsonElement e, string name) => Convert.FromHexString(e.GetProperty(name).GetString()!);

    /// <summary>Every Wycheproof test of a file with its group, as (group, test).</summary>
    public static IEnumerable<(JsonElement Group, JsonElement Test)> Wycheproof(string file)
    {
        foreach (var group in Load(Path.Combine("wycheproof", file)).GetProperty("testGroups").EnumerateArray())
        {
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                yield return (group, test);
            }
        }
    }
}
