namespace MiniVm.Values;

/// <summary>
/// The strings of one run, addressed by handle, so that a <see cref="Value"/> stays plain bits.
/// Handles below <see cref="PermanentCount"/> are the module's string constants (the same numbers
/// in every run, so constant pools are prepared once per module); the rest are strings the
/// program made. Those are reclaimed by a small mark-and-sweep over the run's live values when
/// enough have been made since the last collection; a freed handle is reused.
/// </summary>
internal sealed class StringHeap
{
    private readonly string[] _permanent;
    private string?[] _dynamic = new string?[64];
    private int _dynamicCount;
    private readonly Stack<int> _free = new();
    private int _madeSinceCollection;
    private int _collectAfter = 4096;

    public StringHeap(string[] permanent) => _permanent = permanent;

    public int PermanentCount => _permanent.Length;

    /// <summary>Number of live program-made strings (for tests of the collector).</summary>
    public int DynamicLiveCount => _dynamicCount - _free.Count;

    public string Get(int handle) => handle < _permanent.Length ? _permanent[handle] : _dynamic[handle - _permanent.Length]!;

    /// <summary>True when <see cref="Add"/> should be preceded by a <see cref="Collect"/>.</summary>
    public bool WantsCollection => _madeSinceCollection >= _collectAfter;

    public Value Add(string text)
    {
        _madeSinceCollection++;
        int index;
        if (_free.Count > 0)
        {
            index = _free.Pop();
        }
        else
        {
            if (_dynamicCount == _dynamic.Length) Array.Resize(ref _dynamic, _dynamic.Length * 2);
            index = _dynamicCount++;
        }
        _dynamic[index] = text;
        return Value.StringHandle(_permanent.Length + index);
    }

    /// <summary>Frees every program-made string that no root holds. <paramref name="markRoots"/>
    /// calls the given marker on every live value.</summary>
    public void Collect(Action<Action<Value>> markRoots)
    {
        var marked = new bool[_dynamicCount];
        int permanent = _permanent.Length;
        markRoots(value =>
        {
            if (value.Kind == ValueKind.String)
            {
                int index = value.AsHandle - permanent;
                if (index >= 0 && index < marked.Length) marked[index] = true;
            }
        });
        _free.Clear();
        int live = 0;
        for (int i = 0; i < _dynamicCount; i++)
        {
            if (marked[i])
            {
                live++;
            }
            else
            {
                _dynamic[i] = null;
                _free.Push(i);
            }
        }
        _madeSinceCollection = 0;
        _collectAfter = Math.Max(4096, live * 2);
    }
}
