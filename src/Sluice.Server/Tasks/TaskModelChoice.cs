namespace Sluice.Server.Tasks;

/// <summary>The model a task runs on and, when configuration named it, the setting that did (for error messages).</summary>
internal readonly record struct TaskModelChoice(string? Model, string? Setting);
