namespace Nango.Core.Logs;

public static class LogServiceExtensions
{
    /// <summary>
    /// A finished one-step operation with a single message: how configuration changes are logged.
    /// Succeeds without <paramref name="error"/>, fails with it.
    /// </summary>
    public static void RecordOperation(this ILogService logs, OperationStart start, string message, LogError? error = null)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var operation = logs.StartOperation(start);
        if (error is null)
        {
            operation.Info(message);
            operation.Succeed();
        }
        else
        {
            operation.Error(message, error);
            operation.Fail(error);
        }
    }
}
