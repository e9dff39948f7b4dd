using Microsoft.Extensions.Logging;

namespace Sluice.Sqlite;

internal sealed partial class SqliteJobStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "SQLite group commit of {Count} writes failed")]
        public static partial void CommitFailed(ILogger logger, Exception exception, int count);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "SQLite rollback of a failed group commit failed")]
        public static partial void RollbackFailed(ILogger logger, Exception exception);
    }
}
