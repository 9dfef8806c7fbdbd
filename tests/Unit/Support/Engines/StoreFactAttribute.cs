using Xunit.Abstractions;
using Xunit.Sdk;

namespace OpenChat.Tests.Unit.Support.Engines;

/// <summary>Marks a class of store contract tests whose store lives in PostgreSQL: its
/// <see cref="StoreFactAttribute"/> tests are skipped where PostgreSQL is missing (never on CI).</summary>
public interface INeedsPostgres;

/// <summary>
/// A fact of a store contract written once in an abstract class and run by one subclass per
/// implementation. An attribute cannot know which subclass runs it, so the discoverer looks at
/// the concrete class: one that needs PostgreSQL skips by <see cref="PostgresServer.SkipReason"/>.
/// </summary>
[XunitTestCaseDiscoverer("OpenChat.Tests.Unit.Support.Engines.StoreFactDiscoverer", "OpenChat.Tests.Unit")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var needsPostgres = typeof(INeedsPostgres).IsAssignableFrom(testMethod.TestClass.Class.ToRuntimeType());
        if (needsPostgres && PostgresServer.SkipReason is { } reason)
        {
            return new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason);
        }

        return base.CreateTestCase(discoveryOptions, testMethod, factAttribute);
    }
}
