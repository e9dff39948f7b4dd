using Sluice.Core.Models;

namespace Sluice.Grading.Serving;

/// <summary><c>Sluice:Grading:ModelPath</c> names no model file (nothing there, or a folder); the message names the setting.</summary>
internal sealed class GradingModelPathException(string message, Exception inner) : ModelFileException(message, inner);
