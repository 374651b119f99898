using System.Diagnostics;
using System.Runtime.InteropServices;
using MiniVm.Interpreter;
using MiniVm.Jit.Compilation;
using MiniVm.Jit.Profiling;
using MiniVm.NativeCode.Memory;

namespace MiniVm.Jit;

/// <summary>
/// A module's compiled code: one per loaded <see cref="MiniVmModule"/>, shared by its instances
/// and threads (compiled code holds no per-run address; it reaches the run through the
/// <see cref="JitContext"/>). Owns the W^X code heap, the table of compiled entries that calls go
/// through (filled in as functions are compiled, so code compiled earlier calls code compiled
/// later), the on-stack-replacement entries, the tiered mode's hotness counters and profiles,
/// and every version of every compiled block (a block whose bets failed is replaced, but its old
/// code stays mapped until the module is disposed: activations may still be running in it).
/// </summary>
internal sealed class JitEngine : IDisposable
{
    private readonly PreparedModule _module;
    private readonly nint[] _entries;
    private readonly nint[] _externalEntries;
    private readonly nint[] _interpretingEntries;
    private readonly CompiledFunction?[] _compiled;
    private readonly Exception?[] _failures;
    private readonly object _gate = new();
    private readonly List<CompiledFunction> _versions = [];
    private CodeHeap? _heap;
    private bool _disposed;

    public JitEngine(PreparedModule module)
    {
        _module = module;
        _entries = GC.AllocateArray<nint>(module.AllCode.Length, pinned: true);
        _externalEntries = new nint[module.AllCode.Length];
        _interpretingEntries = new nint[module.AllCode.Length];
        _compiled = new CompiledFunction?[module.AllCode.Length];
        _failures = new Exception?[module.AllCode.Length];
        Counters = new int[module.AllCode.Length];
        Profiles = module.AllCode.Select(code => new FunctionProfile(code.ParamCount, code.InstructionCount)).ToArray();
        EntryTable = Marshal.UnsafeAddrOfPinnedArrayElement(_entries, 0);
    }

    /// <summary>A code block's compiled code may deoptimize this many times (its bets failed); its
    /// next compile then bets on nothing (HotSpot's per-method trap limit).</summary>
    public const int MaxDeoptimizations = 4;

    /// <summary>What the tiered interpreter saw each code block do.</summary>
    public FunctionProfile[] Profiles { get; }

    /// <summary>The test mode in which every deoptimization exit is taken the first time it is
    /// reached (<see cref="MiniVmOptions.ForceDeoptimization"/>): compiles from now on include the
    /// checks. Set by the first instance that asks, for the module's lifetime.</summary>
    public bool ForceDeoptimization { get; set; }

    /// <summary>Whether optimizing compiles inline small leaf callees (<see cref="MiniVmOptions.Inlining"/>).
    /// Cleared by the first instance that asks, for the module's lifetime.</summary>
    public bool Inlining { get; set; } = true;

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
        if (existing is not null || Volatile.Read(ref _failures[function]) is not null) return existing;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            existing = _compiled[function];
            if (existing is not null || _failures[function] is not null) return existing;
            try
            {
                return Compile(function, run, SpeculationFor(function, run));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _failures[function] = e;
                run.Statistics.RecordCompileFailure();
                run.Log?.CompileFailed(_module.AllCode[function], e);
                return null;
            }
        }
    }

    /// <summary>
    /// For a function with no compiled code (not hot yet, or one the JIT could not compile): an
    /// entry that compiled callers call like any compiled function's (the frame in rdi), which
    /// hands the call to <see cref="RuntimeHelpers.Interpret"/> (see <see cref="JitRun.CallInterpreted"/>:
    /// the call is counted and profiled, and interpreted until the function is hot). Made once per
    /// function and put in the entry table until the function is compiled, so later compiled calls
    /// go straight to it; the interpreter's own calls keep interpreting (the external entry stays 0).
    /// Returns the compiled code's entry instead if there is one by now.
    /// </summary>
    public nint InterpretingEntry(int function)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_entries[function] != 0) return _entries[function];
            if (_interpretingEntries[function] == 0)
            {
                var block = InterpreterStub.Compile(function);
                _heap ??= new CodeHeap(new CodeHeapOptions { Name = "minivm-" + _module.Image.SourceName });
                _interpretingEntries[function] = _heap.Install(block, QualifiedName(_module.AllCode[function]) + " (interpreted)");
            }
            CodeHeap.Publish(ref _entries[function], _interpretingEntries[function]);
            return _interpretingEntries[function];
        }
    }

    /// <summary>The internal entry of <paramref name="function"/>'s compiled code, or 0.</summary>
    public nint CompiledStart(int function) => Volatile.Read(ref _compiled[function])?.Start ?? 0;

    /// <summary>Why <paramref name="function"/> could not be compiled, or null.</summary>
    public Exception? Failure(int function)
    {
        lock (_gate) return _failures[function];
    }

    /// <summary>The bets for a compile of <paramref name="function"/>: from its profile in the tiered
    /// mode, none in the <c>jit</c> mode (nothing has run to be profiled), for a block never
    /// interpreted, or for one that deoptimized <see cref="MaxDeoptimizations"/> times.</summary>
    private Speculation? SpeculationFor(int function, JitRun run)
    {
        var profile = Profiles[function];
        if (run.Tier != MiniVmTier.Tiered || !profile.HasSamples || profile.Deoptimizations >= MaxDeoptimizations) return null;
        return new Speculation(profile, _module.AllCode[function]);
    }

    private CompiledFunction Compile(int function, JitRun run, Speculation? speculation)
    {
        var code = _module.AllCode[function];
        var watch = Stopwatch.StartNew();
        if (FailCompileForTesting?.Invoke(code) == true)
            throw new InvalidOperationException($"compiling '{code.Name}' failed (a failure injected by a test)");
        int version = _versions.Count;
        // One flag per instruction a deoptimization exit resumes at (exits resuming at the same
        // instruction rebuild the same frame, so one of them taken once tests them all).
        byte[]? forcedFlags = ForceDeoptimization && speculation is not null ? GC.AllocateArray<byte>(code.Code.Length + 1, pinned: true) : null;
        var request = new CompileRequest(version, speculation, forcedFlags is null ? 0 : Marshal.UnsafeAddrOfPinnedArrayElement(forcedFlags, 0),
            speculation is null || !Inlining ? null : callee => SpeculationFor(callee, run));
        var block = FunctionCompiler.Compile(_module, code, EntryTable, request);
        _heap ??= new CodeHeap(new CodeHeapOptions { Name = "minivm-" + _module.Image.SourceName });
        nint start = _heap.Install(block.Code, QualifiedName(code));
        var osr = new nint[block.OsrOffsets.Length];
        for (int i = 0; i < osr.Length; i++) osr[i] = block.OsrOffsets[i] < 0 ? 0 : start + block.OsrOffsets[i];
        var compiled = new CompiledFunction(code, start, start + block.ExternalEntryOffset, osr, block, version, speculation is not null, forcedFlags);
        watch.Stop();
        _versions.Add(compiled);
        Volatile.Write(ref _compiled[function], compiled);
        CodeHeap.Publish(ref _externalEntries[function], compiled.Entry);
        CodeHeap.Publish(ref _entries[function], start);
        run.Statistics.RecordCompile(block.Code.Length, watch.Elapsed, recompile: Profiles[function].Deoptimizations > 0);
        run.Log?.Compiled(compiled, Profiles[function].Deoptimizations, watch.Elapsed);
        if (run.Listing is { } listing) AssemblyListing.Write(listing, _module, compiled);
        return compiled;
    }

    /// <summary>Compile number <paramref name="version"/> (what a deoptimization exit reports).</summary>
    public CompiledFunction Version(int version)
    {
        lock (_gate) return _versions[version];
    }

    /// <summary>
    /// A bet of <paramref name="compiled"/> failed: counts it against the block and, if that code is
    /// still the block's current code, takes it out of use (HotSpot's "made not entrant"). New
    /// calls then interpret the block again, profiling it with what just happened, until it is hot
    /// again, compiled callers' calls too (through its interpreting entry, see <see cref="InterpretingEntry"/>).
    /// Activations running in the old code finish in it (each deoptimizes when it reaches a failing
    /// guard), so the old code stays mapped.
    /// </summary>
    public bool Invalidate(CompiledFunction compiled)
    {
        int function = compiled.Code.Index;
        lock (_gate)
        {
            if (_disposed || _compiled[function] != compiled) return false;
            Profiles[function].Deoptimizations++;
            Volatile.Write(ref _compiled[function], null);
            CodeHeap.Publish(ref _externalEntries[function], 0);
            CodeHeap.Publish(ref _entries[function], _interpretingEntries[function]); // 0 if never made: made on the next compiled call
            Counters[function] = 0;
            return true;
        }
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
/// calls use), its external entry (what managed code calls), by instruction index the
/// on-stack-replacement entry of each loop header (0 elsewhere); its compile number, whether it
/// bets on a profile, and the flags of the test mode that forces deoptimization (or null).</summary>
internal sealed record CompiledFunction(FunctionCode Code, nint Start, nint Entry, nint[] OsrEntries, CompiledBlock Block,
    int Version, bool Speculative, byte[]? ForcedFlags);
