namespace Sluice.Grading.Integrity;

/// <summary>A warning in the result: a stable code, a sentence for the teacher, and what it did to the score.</summary>
internal sealed record IntegrityFlag(string Code, string Message, FlagEffect Effect);
