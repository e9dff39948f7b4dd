namespace Sluice.Server.Tasks;

/// <summary>JSON type of a task input field.</summary>
internal enum TaskFieldType
{
    String,

    /// <summary>A string, or an array of strings (joined one per line), e.g. an outline.</summary>
    StringOrList,

    Integer,

    /// <summary>Any JSON object (e.g. the essay grader's result), given to the model as compact JSON.</summary>
    Object,
}
