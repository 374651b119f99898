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
    private readonly object _gate = new();
    private CodeHeap? _heap;
    private bool _disposed;

    public JitEngine(PreparedModule module)
    {
        _module = module;
        _entries = GC.AllocateArray<nint>(module.AllCode.Length, pinned: true);
        _externalEntries = new nint[module.AllCode.Length];
        _compiled = new CompiledFunction?[module.AllCode.Length];
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

    /// <summary>The compiled form of <paramref name="function"/>, compiling it now if needed.</summary>
    public CompiledFunction GetOrCompile(int function, JitRun run)
    {
        var existing = Volatile.Read(ref _compiled[function]);
        if (existing is not null) return existing;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            existing = _compiled[function];
            if (existing is not null) return existing;
            var code = _module.AllCode[function];
            var watch = Stopwatch.StartNew();
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
    }

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
