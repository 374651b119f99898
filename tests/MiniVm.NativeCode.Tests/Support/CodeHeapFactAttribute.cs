using MiniVm.NativeCode.Memory;

namespace MiniVm.NativeCode.Tests.Support;

/// <summary>A fact that is skipped, saying why, where this process cannot have a code heap
/// (or the given mode).</summary>
internal sealed class CodeHeapFactAttribute : FactAttribute
{
    public CodeHeapFactAttribute()
    {
        Skip = SkipReason.For(null);
    }

    public CodeHeapFactAttribute(CodeMemoryMode mode)
    {
        Skip = SkipReason.For(mode);
    }
}

/// <summary>A theory that is skipped, saying why, where this process cannot have a code heap.
/// Use with <see cref="Modes.Available"/> as its data.</summary>
internal sealed class CodeHeapTheoryAttribute : TheoryAttribute
{
    public CodeHeapTheoryAttribute()
    {
        Skip = SkipReason.For(null);
    }
}

internal static class SkipReason
{
    public static string? For(CodeMemoryMode? mode)
    {
        if (!CodeHeap.IsSupported)
        {
            return "No executable memory in this process: " + CodeHeap.UnsupportedReason;
        }
        if (mode is CodeMemoryMode m && !CodeHeap.IsModeSupported(m))
        {
            return $"Code memory mode {m} is not available in this process.";
        }
        return null;
    }
}

/// <summary>Theory data: every <see cref="CodeMemoryMode"/> this process supports.</summary>
internal static class Modes
{
    public static TheoryData<CodeMemoryMode> Available
    {
        get
        {
            var data = new TheoryData<CodeMemoryMode>();
            foreach (CodeMemoryMode mode in Enum.GetValues<CodeMemoryMode>())
            {
                if (CodeHeap.IsModeSupported(mode))
                {
                    data.Add(mode);
                }
            }
            return data;
        }
    }

    /// <summary>A heap of the given mode that reports to no perf map (whatever the environment).</summary>
    public static CodeHeap Heap(CodeMemoryMode mode, string? name = null) =>
        new(new CodeHeapOptions { Mode = mode, PerfMap = null, Name = name ?? "minivm-code-test" });
}
