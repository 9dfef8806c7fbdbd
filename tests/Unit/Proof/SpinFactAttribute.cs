namespace OpenChat.Tests.Unit.Proof;

/// <summary>A fact that needs spin: skipped where it is missing, except on CI.</summary>
public sealed class SpinFactAttribute : FactAttribute
{
    public SpinFactAttribute()
    {
        Skip = SpinTools.SkipReason;
    }
}

/// <summary>A theory that needs spin: skipped where it is missing, except on CI.</summary>
public sealed class SpinTheoryAttribute : TheoryAttribute
{
    public SpinTheoryAttribute()
    {
        Skip = SpinTools.SkipReason;
    }
}
