using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using MiniVm.Interpreter;
using MiniVm.Jit.Calls;
using MiniVm.NativeCode.Threading;
using MiniVm.Values;

namespace MiniVm.Jit;

/// <summary>
/// The JIT's side of one <see cref="ExecutionState"/> (an instance in the <c>jit</c> or
/// <c>tiered</c> mode): the run's <see cref="JitContext"/>, the tier-up policy, and every switch
/// between the interpreter and compiled code. Compiled code and the interpreter share frames,
/// frame records and globals; what only one of them tracks is copied at the switch
/// (<see cref="SyncFrames"/>, <see cref="SyncSegment"/>).
/// </summary>
internal sealed class JitRun
{
    /// <summary>Native stack each compiled activation may need: it takes 16 bytes (the return
    /// address and the saved frame register); the run checks the thread has twice that per allowed
    /// call. Small enough that the default limit (10,000 calls) fits a thread-pool thread's 1.5 MB,
    /// so a host calling scripts from request threads does not pay for a thread per call.</summary>
    public const int StackBytesPerCall = 32;

    /// <summary>Native stack kept free for the helpers compiled code calls at its deepest (output,
    /// strings, compiling a callee) and for .NET itself.</summary>
    public const int StackReserve = 128 * 1024;

    private readonly JitContext[] _context = GC.AllocateArray<JitContext>(1, pinned: true);
    private GCHandle _stateHandle;

    public JitRun(JitEngine engine, MiniVmTier tier, int threshold, TextWriter? listing)
    {
        Engine = engine;
        Tier = tier;
        Threshold = threshold;
        Listing = listing;
        Context = Marshal.UnsafeAddrOfPinnedArrayElement(_context, 0);
    }

    public JitEngine Engine { get; }
    public MiniVmTier Tier { get; }
    public int Threshold { get; }
    public TextWriter? Listing { get; }
    public nint Context { get; }
    public JitStatistics Statistics { get; } = new();

    /// <summary>The native stack a run with <paramref name="maxDepth"/> needs (see <see cref="StackBytesPerCall"/>).</summary>
    public static long StackNeeded(int maxDepth) => (long)maxDepth * StackBytesPerCall + 2L * StackReserve;

    /// <summary>Whether the current thread has the stack for a run; when it has not, the instance runs on a thread that does.</summary>
    public static bool ThreadHasRoomFor(int maxDepth)
    {
        nint low = ThreadStack.LowestAddress();
        if (low == 0) return maxDepth <= 4096; // unknown bounds: .NET's smallest default stack (1.5 MB) covers this
        return ThreadStack.CurrentAddress() - low >= StackNeeded(maxDepth);
    }

    /// <summary>Prepares the context for a run of <paramref name="state"/> on the current thread.</summary>
    public void Begin(ExecutionState state)
    {
        _stateHandle = GCHandle.Alloc(state);
        ref var context = ref _context[0];
        context.State = GCHandle.ToIntPtr(_stateHandle);
        context.Globals = state.Globals.Length == 0 ? 0 : Marshal.UnsafeAddrOfPinnedArrayElement(state.Globals, 0);
    }

    /// <summary>Whether the native stack is down to the reserve kept for helpers (never, when the run
    /// started with the room <see cref="StackNeeded"/> asks for; a last guard before a call).</summary>
    public static bool StackIsLow()
    {
        nint low = ThreadStack.LowestAddress();
        return low != 0 && ThreadStack.CurrentAddress() < low + StackReserve;
    }

    public void End()
    {
        if (_stateHandle.IsAllocated) _stateHandle.Free();
        _context[0].State = 0;
    }

    public void SyncFrames(ExecutionState state)
    {
        ref var context = ref _context[0];
        context.Frames = Marshal.UnsafeAddrOfPinnedArrayElement(state.Frames, 0);
        context.FrameLimit = Math.Min(state.CallLimit, state.Frames.Length);
    }

    public void SyncSegment(ExecutionState state) =>
        _context[0].SegmentEnd = Marshal.UnsafeAddrOfPinnedArrayElement(state.Segment, 0) + state.Segment.Length * Unsafe.SizeOf<Value>();

    /// <summary>The internal entry of <paramref name="function"/> for a compiled caller, compiling it
    /// now (compiled code calling it means it is needed compiled). A function that cannot be
    /// compiled fails the run: compiled code cannot call into the interpreter.</summary>
    public nint InternalEntryOf(int function) =>
        Engine.TryGetOrCompile(function, this)?.Start
        ?? throw new InvalidOperationException($"the JIT could not compile '{Engine.CodeName(function)}', which compiled code calls", Engine.Failure(function));

    /// <summary>For a call the interpreter is about to make: the callee's compiled entry if it
    /// should run compiled (it has code, or this call makes it hot), else 0 and the call is counted.</summary>
    public nint EntryForCall(int function)
    {
        nint entry = Engine.ExternalEntry(function);
        if (entry != 0) return entry;
        if (Tier == MiniVmTier.Jit || ++Engine.Counters[function] > Threshold) return Engine.TryGetOrCompile(function, this)?.Entry ?? 0;
        return 0;
    }

    /// <summary>For a loop back-edge the interpreter is about to take in <paramref name="function"/>
    /// to <paramref name="header"/>: the on-stack-replacement entry if the loop is now hot, else 0.</summary>
    public nint EntryForBackEdge(int function, int header)
    {
        if (++Engine.Counters[function] <= Threshold) return 0;
        if (Engine.TryGetOrCompile(function, this) is not { } compiled) return 0; // not compilable: keep interpreting
        Statistics.RecordOsrEntry();
        return compiled.OsrEntries[header];
    }

    /// <summary>Runs compiled code on the activation whose local 0 is <paramref name="frame"/>; its
    /// result is left in that slot. Run-time errors surface as the interpreter's exceptions.</summary>
    public void Enter(ExecutionState state, nint entry, ref Value frame)
    {
        ref var context = ref _context[0];
        context.FrameCount = state.FrameCount;
        SyncFrames(state);
        SyncSegment(state);
        long status = CompiledCode.Invoke(entry, ref frame, Context);
        if (status != 0)
        {
            var pending = state.PendingException ?? new InvalidOperationException("compiled code reported an error but left none");
            state.PendingException = null;
            ExceptionDispatchInfo.Throw(pending);
        }
    }
}

/// <summary>What the JIT did during one instance's runs (<c>--stats</c>).</summary>
internal sealed class JitStatistics
{
    public int FunctionsCompiled { get; private set; }
    public int OsrEntries { get; private set; }
    public int CompileFailures { get; private set; }
    public long CodeBytes { get; private set; }
    public TimeSpan CompileTime { get; private set; }

    public void RecordCompile(int bytes, TimeSpan time)
    {
        FunctionsCompiled++;
        CodeBytes += bytes;
        CompileTime += time;
    }

    public void RecordOsrEntry() => OsrEntries++;

    public void RecordCompileFailure() => CompileFailures++;
}
