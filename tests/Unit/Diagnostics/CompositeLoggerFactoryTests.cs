using Microsoft.Extensions.Logging;
using OpenChat.Engine.Diagnostics;
using OpenChat.Tests.Unit.Support;

namespace OpenChat.Tests.Unit.Diagnostics;

public class CompositeLoggerFactoryTests
{
    [Fact]
    public void A_provider_added_after_a_logger_was_created_receives_its_events()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("server.jsonl");
        using (var factory = new CompositeLoggerFactory())
        {
            var log = factory.CreateLogger("OpenChat.Test");
            log.LogInformation("before any provider");
            factory.AddProvider(new JsonLinesLoggerProvider(path));
            log.LogInformation("after the provider");
        }

        Assert.Contains("after the provider", Assert.Single(JsonLinesLoggerTests.ReadLines(path)));
    }

    [Fact]
    public void Disposing_the_factory_closes_its_providers_and_silences_its_loggers()
    {
        using var temp = new TempDirectory();
        var provider = new JsonLinesLoggerProvider(temp.Combine("server.jsonl"));
        var factory = new CompositeLoggerFactory(provider);
        var log = factory.CreateLogger("OpenChat.Test");
        log.LogInformation("written");
        factory.Dispose();

        log.LogInformation("after dispose");
        Assert.False(log.IsEnabled(LogLevel.Critical));
        provider.CreateLogger("OpenChat.Test").LogInformation("straight to the closed provider");
        Assert.Equal(1, provider.DroppedEvents);
        Assert.Single(JsonLinesLoggerTests.ReadLines(temp.Combine("server.jsonl")));
    }
}
