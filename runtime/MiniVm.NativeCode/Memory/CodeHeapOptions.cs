using MiniVm.NativeCode.Diagnostics;

namespace MiniVm.NativeCode.Memory;

/// <summary>Settings of one <see cref="CodeHeap"/>; every property has a working default.</summary>
public sealed class CodeHeapOptions
{
    /// <summary>The default <see cref="ChunkSize"/>: 64 KiB, a few hundred small functions.</summary>
    public const int DefaultChunkSize = 64 * 1024;

    /// <summary>
    /// How code gets into executable memory; null (the default) picks
    /// <see cref="CodeMemoryMode.DualMapping"/> where it works, else
    /// <see cref="CodeMemoryMode.FreshPages"/> — and fresh pages whenever <see cref="PerfMap"/>
    /// is set, because perf only applies perf maps to anonymous memory, not to a memfd. Asking for a mode this process cannot use makes
    /// the constructor throw <see cref="PlatformNotSupportedException"/>.
    /// </summary>
    public CodeMemoryMode? Mode { get; init; }

    /// <summary>
    /// Bytes mapped at a time (rounded up to whole pages). Mapping is address space only: pages
    /// take memory when code is written to them. A function larger than a chunk gets a mapping
    /// of its own.
    /// </summary>
    public int ChunkSize { get; init; } = DefaultChunkSize;

    /// <summary>
    /// Where installed functions are reported for <c>perf</c>. Defaults to
    /// <see cref="PerfMap.Shared"/>, which is null unless <c>MINIVM_PERF_MAP=1</c>; set null to
    /// turn reporting off for this heap, or a map of your own.
    /// </summary>
    public PerfMap? PerfMap { get; init; } = PerfMap.Shared;

    /// <summary>
    /// A name for the heap's memory, shown in <c>/proc/PID/maps</c> as
    /// <c>/memfd:NAME (deleted)</c> in dual-mapping mode (e.g. "minivm-code:pricing.txtc").
    /// Characters other than printable ASCII become '_'; the name is cut at 200 characters.
    /// </summary>
    public string Name { get; init; } = "minivm-code";
}
