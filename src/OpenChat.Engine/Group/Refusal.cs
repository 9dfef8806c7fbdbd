namespace OpenChat.Engine.Group;

/// <summary>A check that failed: the typed <see cref="Code"/> and the sentence that says it to people.</summary>
public readonly record struct Refusal(RejectReason Code, string Reason);
