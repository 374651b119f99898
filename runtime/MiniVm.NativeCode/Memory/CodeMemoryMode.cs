namespace MiniVm.NativeCode.Memory;

/// <summary>
/// How a <see cref="CodeHeap"/> gets bytes into executable memory without ever having memory
/// that is writable and executable at the same address (W^X).
/// </summary>
public enum CodeMemoryMode
{
    /// <summary>
    /// The heap's memory is a <c>memfd</c> mapped twice. The view code runs from is mapped
    /// read+execute once and never changes protection; installing a function maps a temporary
    /// read+write view of just the pages being written (at a different address), copies the
    /// code in and unmaps that view. Many functions share a page, and a page can receive new
    /// code while other threads execute older code on it. This is what .NET's own W^X does.
    /// </summary>
    DualMapping,

    /// <summary>
    /// The fallback when <c>memfd_create</c> is unavailable or its memory may not be executed.
    /// Every function gets pages of its own, taken from a reserved inaccessible range: they are
    /// made read+write, written, made read+execute, and never written again. Nothing shares a
    /// page with code that may be running, at the cost of at least one page per function.
    /// </summary>
    FreshPages,
}
