using System.Diagnostics;
using System.Runtime.InteropServices;
using MiniVm.Interpreter;
using MiniVm.Jit.Compilation;
using MiniVm.NativeCode.Memory;

namespace MiniVm.Jit;

/// <summary>
/// A module's compiled code: one per loaded <see cref="MiniVmModule"/>, shared by its instances
/// and threads (compiled code holds no per-run address; it reaches the run through the
/// <see cref="JitContext"/>). Owns the W^X code heap, the table of compiled entries that calls go
/// through (filled in as functions are compiled, so code compiled earlier calls code compiled
/// later), the on-stack-replacement entries, and the tiered mode's hotness counters.
/// </summary>
internal sealed class JitEngine : IDisposable
{
    private readonly PreparedModule _module;
    private readonly nint[] _entries;
    private readonly nint[] _externalEntries;
    private readonly CompiledFunction?[] _compiled;
    private readonly Exception?[] _failures;
    private readonly object _gate = new();
    private CodeHeap? _heap;
    private bool _disposed;

    public JitEngine(PreparedModule module)
    {
        _module = module;
        _entries = GC.AllocateArray<nint>(module.AllCode.Length, pinned: true);
        _externalEntries = new nint[module.AllCode.Length];
        _compiled = new CompiledFunction?[module.AllCode.Length];
        _failures = new Exception?[module.AllCode.Length];
        Counters = new int[module.AllCode.Length];
        EntryTable = Marshal.UnsafeAddrOfPinnedArrayElement(_entries, 0);
    }

    /// <summary>True where compiled code can run: Linux on x86-64 (System V calls, the code heap's mappings).</summary>
    public static bool IsSupported => RuntimeInformation.ProcessArchitecture == Architecture.X64 && OperatingSystem.IsLinux() && CodeHeap.IsSupported;

    /// <summary>The address of the entry table: one internal entry (what compiled calls enter) per
    /// code block; 0 until compiled.</summary>
    public nint EntryTable { get; }

    /// <summary>Calls plus loop back-edges seen by the interpreter, per code block (the tiered mode's
    /// hotness; a lost update under a race only delays a compile).</summary>
    public int[] Counters { get; }

    /// <summary>Executable bytes mapped for this module's code (0 before the first compile).</summary>
    public long MappedBytes => _heap?.MappedBytes ?? 0;

    /// <summary>The external entry (what managed code calls) of code block <paramref name="function"/>, or 0.</summary>
    public nint ExternalEntry(int function) => Volatile.Read(ref _externalEntries[function]);

    /// <summary>For tests: a compile of the code blocks this returns true for fails, as a JIT bug or
    /// a system that refuses executable memory would make it fail.</summary>
    internal Func<FunctionCode, bool>? FailCompileForTesting { get; set; }

    /// <summary>
    /// The compiled form of <paramref name="function"/>, compiling it now if needed; null if it
    /// cannot be compiled. A failed compile is remembered, never retried, and leaves nothing
    /// executable behind: the tiered interpreter keeps interpreting the function (HotSpot's
    /// "not compilable"), and only a compiled caller, which cannot continue without it, fails
    /// (<see cref="Failure"/> says why).
    /// </summary>
    public CompiledFunction? TryGetOrCompile(int function, JitRun run)
    {
        var existing = Volatile.Read(ref _compiled[function]);
        if (existing is not null) return existing;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            existing = _compiled[function];
            if (existing is not null || _failures[function] is not null) return existing;
            try
            {
                return Compile(function, run);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _failures[function] = e;
                run.Statistics.RecordCompileFailure();
                return null;
            }
        }
    }

    /// <summary>Why <paramref name="function"/> could not be compiled, or null.</summary>
    public Exception? Failure(int function)
    {
        lock (_gate) return _failures[function];
    }

    private CompiledFunction Compile(int function, JitRun run)
    {
        var code = _module.AllCode[function];
        var watch = Stopwatch.StartNew();
        if (FailCompileForTesting?.Invoke(code) == true)
            throw new InvalidOperationException($"compiling '{code.Name}' failed (a failure injected by a test)");
        var block = FunctionCompiler.Compile(_module, code, EntryTable);
        _heap ??= new CodeHeap(new CodeHeapOptions { Name = "minivm-" + _module.Image.SourceName });
        nint start = _heap.Install(block.Code, QualifiedName(code));
        var osr = new nint[block.OsrOffsets.Length];
        for (int i = 0; i < osr.Length; i++) osr[i] = block.OsrOffsets[i] < 0 ? 0 : start + block.OsrOffsets[i];
        var compiled = new CompiledFunction(code, start, start + block.ExternalEntryOffset, osr, block);
        watch.Stop();
        Volatile.Write(ref _compiled[function], compiled);
        CodeHeap.Publish(ref _externalEntries[function], compiled.Entry);
        CodeHeap.Publish(ref _entries[function], start);
        run.Statistics.RecordCompile(block.Code.Length, watch.Elapsed);
        if (run.Listing is { } listing) AssemblyListing.Write(listing, _module, compiled);
        return compiled;
    }

    /// <summary>A code block's name for messages.</summary>
    public string CodeName(int function) => _module.AllCode[function] == _module.TopLevel ? "<top level>" : _module.AllCode[function].Name;

    private string QualifiedName(FunctionCode code) =>
        code == _module.TopLevel ? $"minivm:{_module.Image.SourceName}:<top level>" : $"minivm:{_module.Image.SourceName}:{code.Name}";

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Array.Clear(_entries);
            Array.Clear(_externalEntries);
            _heap?.Dispose();
        }
    }
}

/// <summary>A code block's installed machine code: where it starts (the internal entry compiled
/// calls use), its external entry (what managed code calls), and by instruction index the
/// on-stack-replacement entry of each loop header (0 elsewhere).</summary>
internal sealed record CompiledFunction(FunctionCode Code, nint Start, nint Entry, nint[] OsrEntries, CompiledBlock Block);
