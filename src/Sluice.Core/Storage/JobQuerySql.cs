using System.Data.Common;
using System.Text;

namespace Sluice.Core.Storage;

/// <summary>
/// The job listing both SQL stores run for a <see cref="JobQuery"/>: filters as parameters, newest first by id
/// (ids sort by time), keyset pagination with <see cref="JobQuery.Before"/>, at most 1,000 rows.
/// </summary>
public static class JobQuerySql
{
    /// <summary>
    /// Sets <paramref name="command"/>'s text to <paramref name="select"/> (a <c>SELECT … FROM jobs</c>) plus the
    /// query's conditions, and adds their parameters named with <paramref name="prefix"/> (<c>@</c> for PostgreSQL,
    /// <c>$</c> for SQLite).
    /// </summary>
    public static void Prepare(DbCommand command, string select, char prefix, JobQuery query)
    {
        var sql = new StringBuilder(select).Append(" WHERE 1 = 1");
        Condition(command, sql, prefix, "owner", "owner = ", query.Owner);
        Condition(command, sql, prefix, "status", "status = ", query.Status is { } status ? (int)status : null);
        Condition(command, sql, prefix, "model", "model = ", query.Model);
        Condition(command, sql, prefix, "before", "id < ", query.Before);
        sql.Append(" ORDER BY id DESC LIMIT ").Append(prefix).Append("limit");
        Add(command, prefix, "limit", Math.Clamp(query.Limit, 1, JobQuery.MaxLimit));
        command.CommandText = sql.ToString();
    }

    private static void Condition(DbCommand command, StringBuilder sql, char prefix, string name, string test, object? value)
    {
        if (value is not null)
        {
            sql.Append(" AND ").Append(test).Append(prefix).Append(name);
            Add(command, prefix, name, value);
        }
    }

    private static void Add(DbCommand command, char prefix, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = prefix + name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
