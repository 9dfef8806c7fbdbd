using System.Reflection;
using Microsoft.Extensions.Logging;

namespace OpenChat.Tests.Unit.Diagnostics;

/// <summary>A log pipeline filters on event ids, so each names one event across the product.</summary>
public class EventIdTests
{
    private static IEnumerable<(string Where, LoggerMessageAttribute Event)> Events(Assembly assembly) =>
        from type in assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select ($"{type.Name}.{method.Name}", attribute);

    [Fact]
    public void No_two_log_events_of_the_engine_or_the_cmdlets_share_an_id_or_a_name()
    {
        var all = Events(typeof(OpenChat.Engine.Diagnostics.EngineLog).Assembly)
            .Concat(Events(typeof(OpenChat.Cmdlets.ChatCmdlet).Assembly)).ToList();
        Assert.True(all.Count > 50, $"only {all.Count} events found");
        var sharedIds = all.GroupBy(e => e.Event.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Where))}");
        Assert.Empty(sharedIds);
        var sharedNames = all.Where(e => e.Event.EventName is not null).GroupBy(e => e.Event.EventName)
            .Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Where))}");
        Assert.Empty(sharedNames);
    }
}
