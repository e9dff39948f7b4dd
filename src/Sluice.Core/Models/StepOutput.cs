namespace Sluice.Core.Models;

/// <summary>What one step produced for one sequence.</summary>
public struct StepOutput
{
    /// <summary>Text to stream to the client now (may be empty while a UTF-8 character or a stop string is pending).</summary>
    public string? Delta;

    /// <summary>Number of tokens this step generated for the sequence (0 while the prompt is being read).</summary>
    public int GeneratedTokens;

    /// <summary>Set when the sequence has ended; its slot is freed before the next step.</summary>
    public FinishReason Finish;
}
