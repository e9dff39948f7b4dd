using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using Sluice.Core.Jobs;

namespace Sluice.Core.Events;

/// <summary>
/// A subscriber's channel of job events: unbounded (a write never drops an event and never blocks the appender), any
/// number of writers, one reader with one wait at a time. The framework's unbounded channel costs about 1 KB per
/// subscriber (its first 32-slot segment, a completion source, reader and writer operations) and a new operation per
/// wait with a token; this one a small ring of events grown as needed, and one reusable wait.
/// </summary>
internal sealed class JobEventChannel : Channel<JobEvent>
{
    public JobEventChannel()
    {
        var reader = new EventReader();
        Reader = reader;
        Writer = new EventWriter(reader);
    }

    private sealed class EventWriter(EventReader reader) : ChannelWriter<JobEvent>
    {
        public override bool TryWrite(JobEvent item) => reader.TryWrite(item);

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) =>
            cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<bool>(cancellationToken) : new ValueTask<bool>(!reader.IsCompleted);

        public override bool TryComplete(Exception? error = null) => reader.TryComplete(error);
    }

    private sealed class EventReader : ChannelReader<JobEvent>, IValueTaskSource<bool>
    {
        /// <summary>The ring's first size: a job's stream is mostly queued, started and its end.</summary>
        private const int InitialCapacity = 4;

        private readonly Lock _lock = new();
        private JobEvent[]? _items;
        private int _head;
        private int _count;
        private bool _completed;
        private Exception? _error;
        private TaskCompletionSource? _completion;

        /// <summary>The reader's wait, reused: it runs its continuation asynchronously, never inside a writer's lock.</summary>
        private ManualResetValueTaskSourceCore<bool> _wait = new() { RunContinuationsAsynchronously = true };

        private bool _waiting;
        private CancellationToken _waitToken;
        private CancellationTokenRegistration _waitRegistration;

        public bool IsCompleted
        {
            get
            {
                lock (_lock)
                {
                    return _completed;
                }
            }
        }

        public override bool CanCount => true;

        public override bool CanPeek => true;

        public override int Count
        {
            get
            {
                lock (_lock)
                {
                    return _count;
                }
            }
        }

        public override Task Completion
        {
            get
            {
                lock (_lock)
                {
                    if (_completion is null)
                    {
                        // Made only for whoever asks: the streams read to their end and never do.
                        _completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        if (_completed && _count == 0)
                        {
                            EndCompletion();
                        }
                    }

                    return _completion.Task;
                }
            }
        }

        public bool TryWrite(JobEvent item)
        {
            lock (_lock)
            {
                if (_completed)
                {
                    return false;
                }

                if (_items is null)
                {
                    _items = new JobEvent[InitialCapacity];
                }
                else if (_count == _items.Length)
                {
                    var grown = new JobEvent[_items.Length * 2];
                    for (var i = 0; i < _count; i++)
                    {
                        grown[i] = _items[(_head + i) % _items.Length];
                    }

                    _items = grown;
                    _head = 0;
                }

                _items[(_head + _count) % _items.Length] = item;
                _count++;
                if (_waiting)
                {
                    EndWait(true, null);
                }

                return true;
            }
        }

        public bool TryComplete(Exception? error)
        {
            lock (_lock)
            {
                if (_completed)
                {
                    return false;
                }

                _completed = true;
                _error = error;
                if (_count == 0)
                {
                    // A waiting reader has nothing left to read: its wait ends with the end (or the error).
                    if (_waiting)
                    {
                        EndWait(false, error);
                    }

                    EndCompletion();
                }

                return true;
            }
        }

        public override bool TryRead([MaybeNullWhen(false)] out JobEvent item)
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    item = null;
                    return false;
                }

                item = _items![_head];
                _items[_head] = null!;
                _head = (_head + 1) % _items.Length;
                _count--;
                if (_count == 0 && _completed)
                {
                    EndCompletion();
                }

                return true;
            }
        }

        public override bool TryPeek([MaybeNullWhen(false)] out JobEvent item)
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    item = null;
                    return false;
                }

                item = _items![_head];
                return true;
            }
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            lock (_lock)
            {
                if (_count > 0)
                {
                    return new ValueTask<bool>(true);
                }

                if (_completed)
                {
                    return _error is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_error);
                }

                if (_waiting)
                {
                    // One reader, one wait at a time: the reusable wait cannot serve two.
                    throw new InvalidOperationException("A job event subscription has one reader, waiting once at a time.");
                }

                _wait.Reset();
                _waiting = true;
                _waitToken = cancellationToken;
                if (cancellationToken.CanBeCanceled)
                {
                    // Under the lock (it is reentrant): a token cancelled meanwhile runs the callback right here.
                    _waitRegistration = cancellationToken.UnsafeRegister(static (state, token) => ((EventReader)state!).CancelWait(token), this);
                }

                return new ValueTask<bool>(this, _wait.Version);
            }
        }

        bool IValueTaskSource<bool>.GetResult(short token) => _wait.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wait.GetStatus(token);

        void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _wait.OnCompleted(continuation, state, token, flags);

        private void CancelWait(CancellationToken token)
        {
            lock (_lock)
            {
                // A callback of an earlier wait with the same token cancels this one too: that token is cancelled.
                if (_waiting && _waitToken == token)
                {
                    EndWait(false, new OperationCanceledException(token));
                }
            }
        }

        /// <summary>Ends the pending wait (under the lock); its continuation runs asynchronously.</summary>
        private void EndWait(bool result, Exception? error)
        {
            _waiting = false;
            _waitToken = default;
            // Unregister, not Dispose: it does not wait for a callback running on another thread (which waits for this lock).
            _waitRegistration.Unregister();
            _waitRegistration = default;
            if (error is null)
            {
                _wait.SetResult(result);
            }
            else
            {
                _wait.SetException(error);
            }
        }

        private void EndCompletion()
        {
            if (_error is null)
            {
                _completion?.TrySetResult();
            }
            else
            {
                _completion?.TrySetException(_error);
            }
        }
    }
}
