using System.Text.Json;
using Sluice.Core.Jobs;

namespace Sluice.Server.Apis;

/// <summary>The fields of a valid <c>POST /v1/jobs</c> body.</summary>
internal readonly record struct ParsedSubmit(string Model, JsonElement Input, JobPriority Priority, int? DeadlineMs, bool UseCache);
