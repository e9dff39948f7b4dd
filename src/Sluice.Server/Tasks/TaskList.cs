namespace Sluice.Server.Tasks;

/// <summary><c>GET /v1/tasks</c>.</summary>
public sealed record TaskList(string Object, IReadOnlyList<TaskView> Data);
