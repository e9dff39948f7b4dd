using Microsoft.Extensions.Logging;

namespace Sluice.Sqlite;

internal sealed partial class SqliteJobStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "SQLite group commit of {Count} writes failed")]
        public static partial void CommitFailed(ILogger logger, Exception exception, int count);
    }
}
