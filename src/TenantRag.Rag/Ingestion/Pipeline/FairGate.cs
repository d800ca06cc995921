namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>
/// A semaphore shared by many parties (tenants) that serves them in turn: each key has its own queue of waiters, and a
/// freed slot goes to the next key in round-robin order, not to the oldest waiter. A tenant that queues a thousand
/// pieces of work therefore delays another tenant's one piece by at most one piece per slot, instead of all thousand.
/// A key also holds at most <c>capacityPerKey</c> slots at once. Thread-safe; cancelling a wait gives up its place.
/// </summary>
/// <remarks>
/// The ingestion pipeline uses one for the shared upload embedding model (one slot, held for one batch of chunk texts)
/// and one for extraction (a few slots, one per tenant, held while one file is read). Work that lives longer than a
/// request (background jobs with a queue per tenant) can take turns through the same type.
/// </remarks>
/// <typeparam name="TKey">Who is waiting (a tenant's id).</typeparam>
public sealed class FairGate<TKey>
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, KeyState> _keys = [];
    private readonly LinkedList<TKey> _turns = [];
    private readonly int _capacity;
    private readonly int _capacityPerKey;
    private int _active;

    /// <summary>Creates the gate.</summary>
    /// <param name="capacity">Slots in all (1 or more).</param>
    /// <param name="capacityPerKey">Slots one key may hold at once (1 or more).</param>
    public FairGate(int capacity, int capacityPerKey = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityPerKey, 1);
        _capacity = capacity;
        _capacityPerKey = capacityPerKey;
    }

    /// <summary>Slots held now.</summary>
    public int Active
    {
        get
        {
            lock (_lock)
            {
                return _active;
            }
        }
    }

    /// <summary>Waits for a slot in <paramref name="key"/>'s turn; dispose the lease to free it.</summary>
    /// <param name="key">Who is asking.</param>
    /// <param name="cancellationToken">Gives up the wait (a slot already granted is kept and must be disposed).</param>
    /// <returns>The lease of one slot.</returns>
    /// <exception cref="OperationCanceledException">The wait was cancelled before a slot was granted.</exception>
    public Task<Lease> EnterAsync(TKey key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var state = StateOf(key);
            state.Waiters.Enqueue(waiter);
            if (!state.InTurn)
            {
                state.InTurn = true;
                _turns.AddLast(key);
            }

            Dispatch();
        }

        if (!waiter.Task.IsCompleted && cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
            _ = waiter.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return waiter.Task;
    }

    // Grants free slots, one key at a time in turn order. Called under the lock.
    private void Dispatch()
    {
        var node = _turns.First;
        while (_active < _capacity && node is not null)
        {
            var next = node.Next;
            var key = node.Value;
            var state = _keys[key];
            if (state.Active < _capacityPerKey && Grant(key, state))
            {
                // Served: to the back of the line, if it still waits for more.
                _turns.Remove(node);
                if (state.Waiters.Count > 0)
                {
                    _turns.AddLast(node);
                    next ??= node;
                }
                else
                {
                    state.InTurn = false;
                }
            }
            else if (state.Waiters.Count == 0 || state.Active >= _capacityPerKey)
            {
                // Nothing to serve now; a key at its own limit comes back in line when one of its slots is freed.
                _turns.Remove(node);
                state.InTurn = false;
                Forget(key, state);
            }

            node = next;
        }
    }

    // Hands a slot to the key's first waiter that has not given up; false when every waiter had.
    private bool Grant(TKey key, KeyState state)
    {
        while (state.Waiters.TryDequeue(out var waiter))
        {
            if (waiter.TrySetResult(new Lease(this, key)))
            {
                state.Active++;
                _active++;
                return true;
            }
        }

        return false;
    }

    private void Release(TKey key)
    {
        lock (_lock)
        {
            var state = _keys[key];
            state.Active--;
            _active--;
            if (state.Waiters.Count > 0 && !state.InTurn)
            {
                state.InTurn = true;
                _turns.AddLast(key);
            }

            Forget(key, state);
            Dispatch();
        }
    }

    private KeyState StateOf(TKey key)
    {
        if (!_keys.TryGetValue(key, out var state))
        {
            state = new KeyState();
            _keys[key] = state;
        }

        return state;
    }

    // Keys come and go (tenants): keep state only while a key holds or waits for a slot.
    private void Forget(TKey key, KeyState state)
    {
        if (state.Active == 0 && state.Waiters.Count == 0 && !state.InTurn)
        {
            _keys.Remove(key);
        }
    }

    /// <summary>One slot of the gate; disposing it (once) frees the slot for the next key in turn.</summary>
    public sealed class Lease : IDisposable
    {
        private FairGate<TKey>? _gate;

        internal Lease(FairGate<TKey> gate, TKey key)
        {
            _gate = gate;
            Key = key;
        }

        /// <summary>Whose slot this is.</summary>
        public TKey Key { get; }

        /// <inheritdoc />
        public void Dispose() => Interlocked.Exchange(ref _gate, null)?.Release(Key);
    }

    private sealed class KeyState
    {
        public Queue<TaskCompletionSource<Lease>> Waiters { get; } = new();

        public int Active { get; set; }

        public bool InTurn { get; set; }
    }
}
