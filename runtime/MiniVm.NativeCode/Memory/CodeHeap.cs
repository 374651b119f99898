using System.Buffers;
using System.Diagnostics;
using System.Text;
using MiniVm.NativeCode.Diagnostics;

namespace MiniVm.NativeCode.Memory;

/// <summary>
/// Executable memory for the machine code of one loaded module: functions are installed one at a
/// time, packed 16-byte aligned into chunks, and all of it is returned to the system when the
/// heap is disposed (with the module).
/// </summary>
/// <remarks>
/// <para><b>W^X.</b> No address of this heap is ever writable and executable at the same time.
/// A writer fills a managed staging buffer, never the executable memory; the heap then copies
/// the finished bytes in through a temporary read+write mapping of the same memory at another
/// address (<see cref="CodeMemoryMode.DualMapping"/>), or onto pages nobody has executed yet
/// that only become executable once written (<see cref="CodeMemoryMode.FreshPages"/>). Pages that
/// already hold code are never made writable again: another thread may be running that code.</para>
/// <para><b>Threads.</b> Every member is thread-safe. Writers run outside the heap's lock, so
/// several threads compile concurrently (a writer may even install other functions in the same
/// heap); only reserving space and the copy into executable memory are serialized. The address
/// <see cref="Install(int, CodeWriter, string)"/> returns is executable before it is returned, so
/// a caller that publishes it with a release store (<see cref="Publish"/>,
/// <see cref="PublishIfUnset"/>) never lets another thread jump to unwritten code.</para>
/// <para><b>Lifetime.</b> <see cref="Dispose"/> unmaps everything at once; there is no freeing
/// of single functions, because a function cannot know that no thread is still inside it. The
/// owner must keep the heap reachable, and not dispose it, while any thread may still execute its
/// code: the finalizer (a safety net for forgotten heaps) unmaps the memory like
/// <see cref="Dispose"/> does.</para>
/// </remarks>
public sealed class CodeHeap : IDisposable
{
    /// <summary>Every function starts on a 16-byte boundary (what compilers align functions
    /// and loop heads to for instruction fetch). Padding between functions is int3.</summary>
    public const int FunctionAlignment = 16;

    /// <summary>The largest function one installation accepts (64 MiB).</summary>
    public const int MaxFunctionSize = 64 * 1024 * 1024;

    private const string DefaultName = "minivm-code";

    private readonly Lock _lock = new();
    private readonly CodeMemoryBackend? _backend;
    private readonly PerfMap? _perfMap;
    private readonly int _chunkSize;
    private readonly List<Chunk> _chunks = [];
    /// <summary>Free ranges, sorted by address; ranges of different chunks never merge.</summary>
    private readonly List<FreeRange> _free = [];
    private long _mappedBytes;
    private long _usedBytes;
    private int _functionCount;
    private bool _disposed;

    /// <summary>Creates a heap with the default <see cref="CodeHeapOptions"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">When <see cref="IsSupported"/> is false.</exception>
    public CodeHeap()
        : this(null)
    {
    }

    /// <summary>Creates a heap. No memory is mapped until the first installation.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <exception cref="PlatformNotSupportedException">When this process cannot have executable
    /// memory (not Linux x86-64, or the system forbids it), or the requested mode is unavailable;
    /// the message says why.</exception>
    public CodeHeap(CodeHeapOptions? options)
    {
        options ??= new CodeHeapOptions();
        // perf names samples from a perf map only in anonymous memory; in a memfd mapping it
        // looks for a file and shows "memfd:... (deleted)+offset" (checked with perf 6.1). So a
        // heap that reports to a perf map puts its code on fresh anonymous pages by default.
        CodeMemoryMode mode = options.Mode
            ?? (options.PerfMap is not null && ExecutableMemorySupport.IsAvailable(CodeMemoryMode.FreshPages) ? CodeMemoryMode.FreshPages : (CodeMemoryMode?)null)
            ?? ExecutableMemorySupport.PreferredMode
            ?? throw new PlatformNotSupportedException(
                "MiniVm cannot create executable memory in this process: " + ExecutableMemorySupport.WhyNothingWorks());
        if (ExecutableMemorySupport.Unavailability(mode) is string reason)
        {
            throw new PlatformNotSupportedException($"MiniVm code memory mode {mode} is not available: {reason}");
        }
        if (options.ChunkSize <= 0 || options.ChunkSize > MaxFunctionSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ChunkSize, $"ChunkSize must be between 1 and {MaxFunctionSize} bytes.");
        }

        Mode = mode;
        _chunkSize = RoundUp(options.ChunkSize, ExecutableMemorySupport.PageSize);
        _perfMap = options.PerfMap;
        _backend = mode == CodeMemoryMode.DualMapping
            ? new DualMappingBackend(SanitizeName(options.Name))
            : new FreshPagesBackend();
    }

    /// <summary>Unmaps the memory of a heap nobody disposed.</summary>
    ~CodeHeap()
    {
        Release();
    }

    /// <summary>
    /// Whether this process can have a code heap: Linux on x86-64, and the system lets it map
    /// executable memory in at least one <see cref="CodeMemoryMode"/> (checked once, on a page).
    /// When false the JIT must stay off and the interpreter runs everything.
    /// </summary>
    public static bool IsSupported => ExecutableMemorySupport.PreferredMode is not null;

    /// <summary>Why <see cref="IsSupported"/> is false, or null when it is true.</summary>
    public static string? UnsupportedReason => IsSupported ? null : ExecutableMemorySupport.WhyNothingWorks();

    /// <summary>Whether heaps may use <paramref name="mode"/> in this process.</summary>
    /// <param name="mode">The mode to test.</param>
    public static bool IsModeSupported(CodeMemoryMode mode) => ExecutableMemorySupport.IsAvailable(mode);

    /// <summary>How this heap gets code into executable memory.</summary>
    public CodeMemoryMode Mode { get; }

    /// <summary>Bytes of address space the heap has mapped (whole chunks, including space not
    /// yet used); 0 once disposed.</summary>
    public long MappedBytes => Interlocked.Read(ref _mappedBytes);

    /// <summary>Bytes of installed machine code (each function's own size, without alignment
    /// padding) — what <c>--stats</c> reports as code bytes.</summary>
    public long UsedBytes => Interlocked.Read(ref _usedBytes);

    /// <summary>Functions installed so far.</summary>
    public int FunctionCount => Volatile.Read(ref _functionCount);

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed);

    /// <summary>
    /// Installs one function of exactly <paramref name="size"/> bytes: reserves 16-byte aligned
    /// space, calls <paramref name="write"/> with the address the code will run at and a staging
    /// buffer to fill, copies the result into executable memory and reports it to the perf map.
    /// </summary>
    /// <param name="size">The code's size in bytes (1 to <see cref="MaxFunctionSize"/>).</param>
    /// <param name="write">Fills the code; runs on the calling thread, outside the heap's lock.</param>
    /// <param name="name">The function's name for the perf map (e.g. "minivm:rules.txtc:price").</param>
    /// <returns>The executable entry address; the bytes are executable on return.</returns>
    /// <exception cref="ObjectDisposedException">The heap was disposed.</exception>
    /// <exception cref="ExecutableMemoryException">The system refused memory.</exception>
    /// <remarks>If <paramref name="write"/> throws, the exception propagates and nothing of the
    /// attempt remains: the space returns to the heap, and a chunk mapped only for it is unmapped.</remarks>
    public nint Install(int size, CodeWriter write, string name)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(name);
        ValidateSize(size, nameof(size));
        return InstallCore(size, name, write, null);
    }

    /// <summary>
    /// Installs one function whose size is known only after assembling it at its final address:
    /// reserves <paramref name="maxSize"/> bytes, and keeps only as many as <paramref name="write"/>
    /// says it used (the tail goes back to the heap). Otherwise as
    /// <see cref="Install(int, CodeWriter, string)"/>.
    /// </summary>
    /// <param name="maxSize">An upper bound of the code's size (1 to <see cref="MaxFunctionSize"/>).</param>
    /// <param name="write">Fills the code and returns its size (1 to <paramref name="maxSize"/>).</param>
    /// <param name="name">The function's name for the perf map.</param>
    /// <returns>The executable entry address.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="write"/> returned a size out of range.</exception>
    public nint InstallUpTo(int maxSize, SizedCodeWriter write, string name)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(name);
        ValidateSize(maxSize, nameof(maxSize));
        return InstallCore(maxSize, name, null, write);
    }

    /// <summary>Installs ready-made, position-independent code (no RIP-relative references
    /// outside itself). Mostly for stubs and tests.</summary>
    /// <param name="code">The machine code.</param>
    /// <param name="name">The function's name for the perf map.</param>
    /// <returns>The executable entry address.</returns>
    public nint Install(ReadOnlySpan<byte> code, string name)
    {
        byte[] bytes = code.ToArray();
        return Install(bytes.Length, (_, destination) => bytes.CopyTo(destination), name);
    }

    /// <summary>Whether <paramref name="address"/> lies in memory this heap has mapped (for
    /// example, to tell whether a return address belongs to compiled code).</summary>
    /// <param name="address">Any address.</param>
    public bool Contains(nint address)
    {
        lock (_lock)
        {
            foreach (Chunk chunk in _chunks)
            {
                if (chunk.Contains(address))
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>
    /// Publishes an entry address with release semantics: a thread that reads the slot (with
    /// <see cref="Volatile"/>.Read, or from compiled code; x86-64 loads are
    /// acquire) and sees the new address also sees everything written before it. Writes of a
    /// pointer-sized aligned slot are atomic, so readers see the old or the new entry, never a mix.
    /// </summary>
    /// <param name="slot">Where callers find the function.</param>
    /// <param name="entry">An address returned by an installation.</param>
    public static void Publish(ref nint slot, nint entry) => Volatile.Write(ref slot, entry);

    /// <summary>
    /// Publishes <paramref name="entry"/> only if the slot is still 0, for when two threads
    /// compiled the same function at once: one entry wins and every thread uses the winner. The
    /// loser's code stays in the heap, unreferenced, until the heap is disposed.
    /// </summary>
    /// <param name="slot">Where callers find the function; 0 means not compiled.</param>
    /// <param name="entry">An address returned by an installation.</param>
    /// <returns>The entry now in the slot: <paramref name="entry"/>, or the earlier winner.</returns>
    public static nint PublishIfUnset(ref nint slot, nint entry)
    {
        nint previous = Interlocked.CompareExchange(ref slot, entry, 0);
        return previous == 0 ? entry : previous;
    }

    /// <summary>Unmaps all of the heap's memory. Only call it when no thread can be executing,
    /// or about to call, any of its functions. Later installations throw
    /// <see cref="ObjectDisposedException"/>; disposing twice does nothing.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>The heap's mappings as (start, size), for tests and diagnostics.</summary>
    internal IReadOnlyList<(nint Start, int Size)> GetMappings()
    {
        lock (_lock)
        {
            return _chunks.Select(c => (c.Start, c.Size)).ToArray();
        }
    }

    private nint InstallCore(int reserveSize, string name, CodeWriter? exactWriter, SizedCodeWriter? sizedWriter)
    {
        Reservation reservation;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            reservation = Reserve(reserveSize);
        }

        int used;
        byte[] staging = ArrayPool<byte>.Shared.Rent(reserveSize);
        try
        {
            bool committed = false;
            try
            {
                Span<byte> code = staging.AsSpan(0, reserveSize);
                code.Fill(0xCC);
                if (exactWriter is not null)
                {
                    exactWriter(reservation.Start, code);
                    used = reserveSize;
                }
                else
                {
                    used = sizedWriter!(reservation.Start, code);
                    if (used <= 0 || used > reserveSize)
                    {
                        throw new InvalidOperationException(
                            $"The code writer for '{name}' reported {used} bytes written; it must be between 1 and the {reserveSize} bytes reserved.");
                    }
                }

                lock (_lock)
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    int length = RoundUp(used, _backend!.Granularity);
                    _backend.Commit(reservation.Chunk, reservation.Start, length, code[..used]);
                    committed = true;
                    if (length < reservation.Length)
                    {
                        AddFree(reservation.Chunk, reservation.Start + length, reservation.Length - length);
                    }
                    _usedBytes += used;
                    _functionCount++;
                }
            }
            catch when (!committed)
            {
                // The writer (or the copy) failed: nothing was made executable. Give the space
                // back; the memory behind it is untouched, so it can be handed out again.
                lock (_lock)
                {
                    if (!_disposed)
                    {
                        Unreserve(reservation);
                    }
                }
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }

        _perfMap?.TryRecord(reservation.Start, used, name);
        return reservation.Start;
    }

    private Reservation Reserve(int size)
    {
        int length = RoundUp(size, _backend!.Granularity);
        for (int i = 0; i < _free.Count; i++)
        {
            FreeRange range = _free[i];
            if (range.Length >= length)
            {
                nint start = range.Start;
                range.Start += length;
                range.Length -= length;
                if (range.Length == 0)
                {
                    _free.RemoveAt(i);
                }
                range.Chunk.Live++;
                return new Reservation(range.Chunk, start, length);
            }
        }

        int chunkSize = Math.Max(_chunkSize, RoundUp(length, ExecutableMemorySupport.PageSize));
        Chunk chunk = _backend.MapChunk(chunkSize);
        _chunks.Add(chunk);
        _mappedBytes += chunkSize;
        if (chunkSize > length)
        {
            AddFree(chunk, chunk.Start + length, chunkSize - length);
        }
        chunk.Live++;
        return new Reservation(chunk, chunk.Start, length);
    }

    private void Unreserve(Reservation reservation)
    {
        Chunk chunk = reservation.Chunk;
        FreeRange merged = AddFree(chunk, reservation.Start, reservation.Length);
        chunk.Live--;
        if (chunk.Live == 0)
        {
            // Only failed installations ever used this chunk: unmap it rather than keep an
            // executable mapping that holds nothing.
            Debug.Assert(merged.Start == chunk.Start && merged.Length == chunk.Size);
            _free.Remove(merged);
            _chunks.Remove(chunk);
            _mappedBytes -= chunk.Size;
            _backend!.UnmapChunk(chunk);
        }
    }

    /// <summary>Inserts a free range in address order, merging it with free neighbours of
    /// the same chunk; returns the range that now contains it.</summary>
    private FreeRange AddFree(Chunk chunk, nint start, int length)
    {
        int index = 0;
        while (index < _free.Count && _free[index].Start < start)
        {
            index++;
        }

        FreeRange? previous = index > 0 ? _free[index - 1] : null;
        FreeRange? next = index < _free.Count ? _free[index] : null;
        if (previous is not null && previous.Chunk == chunk && previous.Start + previous.Length == start)
        {
            previous.Length += length;
            if (next is not null && next.Chunk == chunk && previous.Start + previous.Length == next.Start)
            {
                previous.Length += next.Length;
                _free.RemoveAt(index);
            }
            return previous;
        }
        if (next is not null && next.Chunk == chunk && start + length == next.Start)
        {
            next.Start = start;
            next.Length += length;
            return next;
        }

        var range = new FreeRange(chunk, start, length);
        _free.Insert(index, range);
        return range;
    }

    private void Release()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            Volatile.Write(ref _disposed, true);
            if (_backend is null)
            {
                return;
            }
            foreach (Chunk chunk in _chunks)
            {
                _backend.UnmapChunk(chunk);
            }
            _chunks.Clear();
            _free.Clear();
            _backend.Close();
            _mappedBytes = 0;
        }
    }

    private static void ValidateSize(int size, string parameter)
    {
        if (size <= 0 || size > MaxFunctionSize)
        {
            throw new ArgumentOutOfRangeException(parameter, size, $"A function's size must be between 1 and {MaxFunctionSize} bytes.");
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static string SanitizeName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return DefaultName;
        }
        var builder = new StringBuilder(Math.Min(name.Length, 200));
        foreach (char c in name.AsSpan(0, Math.Min(name.Length, 200)))
        {
            builder.Append(c is > ' ' and <= '~' ? c : '_');
        }
        return builder.ToString();
    }

    private readonly record struct Reservation(Chunk Chunk, nint Start, int Length);

    private sealed class FreeRange(Chunk chunk, nint start, int length)
    {
        public Chunk Chunk { get; } = chunk;

        public nint Start { get; set; } = start;

        public int Length { get; set; } = length;
    }
}
