namespace Sluice.Sqlite;

/// <summary>A write with a result, completed only after the commit that made it durable.</summary>
internal abstract class WriteOp<T> : WriteOp
{
    private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T _result = default!;
    private Exception? _error;

    public Task<T> Task => _tcs.Task;

    protected void SetResult(T result) => _result = result;

    public override void Publish()
    {
        if (_error is not null)
        {
            _tcs.TrySetException(_error);
        }
        else
        {
            _tcs.TrySetResult(_result);
        }
    }

    public override void Fail(Exception ex)
    {
        _error = ex;
        _tcs.TrySetException(ex);
    }
}
