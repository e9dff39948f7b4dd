namespace Sluice.Server.Tasks;

/// <summary>One input field as <c>GET /v1/tasks</c> shows it.</summary>
public sealed record TaskFieldView(string Type, bool Required, string Description, int? Min, int? Max, int? Default);
