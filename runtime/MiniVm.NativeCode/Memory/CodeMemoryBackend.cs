using System.Runtime.InteropServices;

namespace MiniVm.NativeCode.Memory;

/// <summary>One mapped range of a heap: the addresses code runs at.</summary>
internal sealed class Chunk(nint start, int size, long fileOffset)
{
    /// <summary>The executable address of the first byte.</summary>
    public nint Start { get; } = start;

    public int Size { get; } = size;

    public nint End => Start + Size;

    /// <summary>Where the chunk lives in the memfd (dual mapping only).</summary>
    public long FileOffset { get; } = fileOffset;

    /// <summary>Reservations plus installed functions in this chunk. A chunk that drops to
    /// zero (only failed installations ever touched it) is unmapped at once.</summary>
    public int Live { get; set; }

    public bool Contains(nint address) => address >= Start && address < End;
}

/// <summary>
/// The system-call side of a <see cref="CodeHeap"/>: maps chunks, writes code into them and
/// leaves it executable, unmaps them. The heap serializes every call under its lock, so
/// implementations need no locking of their own.
/// </summary>
internal abstract class CodeMemoryBackend
{
    /// <summary>The unit of allocation: every reservation starts and ends on a multiple.</summary>
    public abstract int Granularity { get; }

    /// <summary>Maps <paramref name="size"/> bytes (a multiple of the page size) that will
    /// hold code. Nothing in them is writable through the returned addresses.</summary>
    public abstract Chunk MapChunk(int size);

    /// <summary>
    /// Copies <paramref name="code"/> to <paramref name="start"/> and fills the rest of
    /// <paramref name="length"/> (a multiple of <see cref="Granularity"/>) with int3. On return
    /// the bytes are executable at <paramref name="start"/>; at no moment was that address
    /// writable and executable at once. On failure it throws and nothing executable was written.
    /// </summary>
    public abstract void Commit(Chunk chunk, nint start, int length, ReadOnlySpan<byte> code);

    public abstract void UnmapChunk(Chunk chunk);

    /// <summary>Releases what is left once every chunk is unmapped (the memfd).</summary>
    public abstract void Close();

    protected static ExecutableMemoryException Failure(string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new ExecutableMemoryException($"{what} failed: {LibC.Describe(errno)}", errno);
    }

    protected static unsafe void Fill(nint destination, int length, ReadOnlySpan<byte> code)
    {
        var target = new Span<byte>((void*)destination, length);
        code.CopyTo(target);
        target[code.Length..].Fill(0xCC);
    }
}

/// <summary>
/// <see cref="CodeMemoryMode.DualMapping"/>: one memfd per heap, each chunk a read+execute view
/// of a slice of it that never changes protection. Writes go through a temporary read+write view
/// of only the pages being written, unmapped before the address is handed out. The memfd is
/// created with the first chunk, so a heap that never receives code costs no file descriptor.
/// </summary>
internal sealed class DualMappingBackend(string memfdName) : CodeMemoryBackend
{
    private int _fd = -1;
    private long _fileSize;

    public override int Granularity => CodeHeap.FunctionAlignment;

    public override Chunk MapChunk(int size)
    {
        if (_fd < 0)
        {
            _fd = ExecutableMemorySupport.CreateMemfd(memfdName, out int errno);
            if (_fd < 0)
            {
                throw new ExecutableMemoryException($"memfd_create failed: {LibC.Describe(errno)}", errno);
            }
        }

        // The file only grows: a slice, once given to a chunk, is never reused for another while
        // the heap lives, so a stale address can never see different code through the same file.
        long offset = _fileSize;
        if (LibC.Ftruncate(_fd, offset + size) != 0)
        {
            throw Failure("growing the code memfd (ftruncate)");
        }
        _fileSize = offset + size;
        nint start = LibC.Mmap(0, (nuint)size, LibC.ProtRead | LibC.ProtExec, LibC.MapShared, _fd, offset);
        if (start == LibC.MapFailed)
        {
            throw Failure("mapping code memory read+execute (mmap)");
        }
        return new Chunk(start, size, offset);
    }

    public override void Commit(Chunk chunk, nint start, int length, ReadOnlySpan<byte> code)
    {
        int pageSize = ExecutableMemorySupport.PageSize;
        long fileStart = chunk.FileOffset + (start - chunk.Start);
        long viewOffset = fileStart & ~(long)(pageSize - 1);
        long viewEnd = (fileStart + length + pageSize - 1) & ~(long)(pageSize - 1);
        nuint viewSize = (nuint)(viewEnd - viewOffset);

        nint view = LibC.Mmap(0, viewSize, LibC.ProtRead | LibC.ProtWrite, LibC.MapShared, _fd, viewOffset);
        if (view == LibC.MapFailed)
        {
            throw Failure("mapping a writable view of code memory (mmap)");
        }
        Fill(view + (nint)(fileStart - viewOffset), length, code);
        if (LibC.Munmap(view, viewSize) != 0)
        {
            throw Failure("unmapping the writable view of code memory (munmap)");
        }
        // x86-64 keeps instruction fetch coherent with stores to the same physical memory through
        // any virtual address, so no cache maintenance is needed before the code may run.
    }

    public override void UnmapChunk(Chunk chunk)
    {
        // munmap cannot fail for a range we mapped; nothing useful could be done if it did.
        LibC.Munmap(chunk.Start, (nuint)chunk.Size);
    }

    public override void Close()
    {
        if (_fd >= 0)
        {
            LibC.Close(_fd);
            _fd = -1;
        }
    }
}

/// <summary>
/// <see cref="CodeMemoryMode.FreshPages"/>: chunks are reserved inaccessible (PROT_NONE,
/// MAP_NORESERVE); each function's page run goes read+write, is written, goes read+execute and
/// is never written again. Adjacent runs with equal protection merge into one kernel mapping,
/// so the mapping count stays low.
/// </summary>
internal sealed class FreshPagesBackend : CodeMemoryBackend
{
    public override int Granularity => ExecutableMemorySupport.PageSize;

    public override Chunk MapChunk(int size)
    {
        nint start = LibC.Mmap(0, (nuint)size, LibC.ProtNone, LibC.MapPrivate | LibC.MapAnonymous | LibC.MapNoReserve, -1, 0);
        if (start == LibC.MapFailed)
        {
            throw Failure("reserving code memory (mmap)");
        }
        return new Chunk(start, size, 0);
    }

    public override void Commit(Chunk chunk, nint start, int length, ReadOnlySpan<byte> code)
    {
        if (LibC.Mprotect(start, (nuint)length, LibC.ProtRead | LibC.ProtWrite) != 0)
        {
            throw Failure("making fresh code pages writable (mprotect)");
        }
        Fill(start, length, code);
        if (LibC.Mprotect(start, (nuint)length, LibC.ProtRead | LibC.ProtExec) != 0)
        {
            Exception failure = Failure("making written code pages executable (mprotect)");
            LibC.Mprotect(start, (nuint)length, LibC.ProtNone);
            throw failure;
        }
    }

    public override void UnmapChunk(Chunk chunk) => LibC.Munmap(chunk.Start, (nuint)chunk.Size);

    public override void Close()
    {
    }
}
