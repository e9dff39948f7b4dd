namespace Sluice.Core.Configuration;

/// <summary>
/// Settings that are valid one by one but cannot work once the models are registered (a fallback naming no model,
/// a task model that is not generative), or that nothing reads (a key its section does not have). They are warnings
/// at start, not start-up errors: the rest of the server still serves, and the requests they affect answer with an
/// error naming the setting.
/// </summary>
public interface IConfigurationProblemSource
{
    /// <summary>One message per problem, each naming the setting at fault; empty when all is well.</summary>
    IReadOnlyList<string> ConfigurationProblems();
}
