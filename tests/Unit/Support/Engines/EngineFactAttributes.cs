using Xunit;

namespace OpenChat.Tests.Unit.Support.Engines;

/// <summary>A fact that needs PostgreSQL: skipped where it is not installed, except on CI.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        Skip = PostgresServer.SkipReason;
    }
}

/// <summary>A theory that needs PostgreSQL: skipped where it is not installed, except on CI.</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        Skip = PostgresServer.SkipReason;
    }
}

/// <summary>A fact that needs nats-server: skipped where it is not installed, except on CI.</summary>
public sealed class NatsFactAttribute : FactAttribute
{
    public NatsFactAttribute()
    {
        Skip = NatsServer.SkipReason;
    }
}
