using MiniVm.Values;

namespace MiniVm.Interpreter;

/// <summary>
/// The memory frames live in: a list of segments, each a pinned array, so a frame never moves
/// once it exists (compiled code may hold its address). A call whose frame does not fit in the
/// rest of the current segment starts the next one. Segments are kept for reuse by later calls.
/// </summary>
internal sealed class ValueStack
{
    /// <summary>Slots in the first segment; enough for most programs' whole run.</summary>
    private const int FirstSegmentSize = 4096;
    private const int SegmentSize = 64 * 1024;

    private readonly List<Value[]> _segments = [GC.AllocateArray<Value>(FirstSegmentSize, pinned: true)];

    public Value[] this[int segment] => _segments[segment];

    public int SegmentCount => _segments.Count;

    /// <summary>The first segment, grown (while nothing lives in it) to hold at least <paramref name="slots"/>.</summary>
    public Value[] First(int slots)
    {
        if (_segments[0].Length < slots) _segments[0] = GC.AllocateArray<Value>(Math.Max(SegmentSize, slots), pinned: true);
        return _segments[0];
    }

    /// <summary>The segment after <paramref name="segment"/>, with room for at least <paramref name="slots"/>.</summary>
    public Value[] Next(int segment, int slots)
    {
        int next = segment + 1;
        if (next < _segments.Count && _segments[next].Length >= slots) return _segments[next];
        var fresh = GC.AllocateArray<Value>(Math.Max(SegmentSize, slots), pinned: true);
        if (next < _segments.Count) _segments[next] = fresh; // nothing lives above the current segment
        else _segments.Add(fresh);
        return fresh;
    }
}
