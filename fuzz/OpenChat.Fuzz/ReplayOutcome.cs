using OpenChat.Fuzz.Targets;

namespace OpenChat.Fuzz;

/// <summary>What one input did to a target outside AFL: accepted, refused with a declared
/// exception, or broke out with an undeclared one (the finding).</summary>
internal readonly record struct ReplayOutcome(bool Declared, Exception? Undeclared)
{
    public static ReplayOutcome Of(DecoderTarget target, byte[] input)
    {
        try
        {
            target.Run(input);
            return default;
        }
        catch (Exception e) when (target.IsDeclared(e))
        {
            return new(true, null);
        }
        catch (Exception e)
        {
            return new(false, e);
        }
    }
}
