using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using MiniVm.Interpreter;
using MiniVm.Jit.Calls;
using MiniVm.Jit.Compilation;
using MiniVm.Jit.Profiling;
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

    /// <summary>How many interpreters deoptimization and calls of code not compiled may nest
    /// (compiled code → interpreter → compiled code → …) before an interpreter so entered stops
    /// entering compiled code (a compiled caller's call that compiles its callee does not nest). Each
    /// level holds native stack the depth budget does not count; the cap keeps that small.</summary>
    public const int MaxNestedResumes = 8;

    private int _nestedResumes;

    public JitRun(JitEngine engine, MiniVmTier tier, int threshold, TextWriter? listing, TextWriter? log = null)
    {
        Engine = engine;
        Tier = tier;
        Threshold = threshold;
        Listing = listing;
        Log = log is null ? null : new JitLog(log, engine);
        Profiles = engine.Profiles;
        Context = Marshal.UnsafeAddrOfPinnedArrayElement(_context, 0);
    }

    public JitEngine Engine { get; }
    public MiniVmTier Tier { get; }
    public int Threshold { get; }
    public TextWriter? Listing { get; }
    /// <summary>Where compiles, on-stack replacements and deoptimizations are reported (<c>--jit-log</c>), or null.</summary>
    public JitLog? Log { get; }
    /// <summary>The module's profiles (<see cref="JitEngine.Profiles"/>), which the tiered interpreter fills.</summary>
    public FunctionProfile[] Profiles { get; }
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

    /// <summary>
    /// What a compiled caller calls for <paramref name="function"/>, which has no entry in the table
    /// yet. The <c>jit</c> mode compiles it now (every block is compiled before its first call). The
    /// tiered mode does not compile what it has not profiled: the entry runs the function in the
    /// interpreter, counting and profiling each call, until it is hot (<see cref="CallInterpreted"/>).
    /// For a function that cannot be compiled, that entry too.
    /// </summary>
    public nint InternalEntryOf(int function)
    {
        if (Tier == MiniVmTier.Jit && Engine.TryGetOrCompile(function, this) is { } compiled) return compiled.Start;
        return Engine.InterpretingEntry(function);
    }

    /// <summary>For a call the interpreter is about to make: the callee's compiled entry if it
    /// should run compiled (it has code, or this call makes it hot), else 0 and the call is counted.</summary>
    public nint EntryForCall(int function)
    {
        if (_nestedResumes >= MaxNestedResumes) return 0;
        nint entry = Engine.ExternalEntry(function);
        if (entry != 0) return entry;
        if (Tier == MiniVmTier.Jit || ++Engine.Counters[function] > Threshold) return Engine.TryGetOrCompile(function, this)?.Entry ?? 0;
        return 0;
    }

    /// <summary>For a loop back-edge the interpreter is about to take in the activation of
    /// <paramref name="function"/> on <paramref name="frame"/>: if the loop is now hot, continues the
    /// activation in compiled code from <paramref name="header"/> (on-stack replacement) to its
    /// end, and returns true with the result in local 0. False: the interpreter goes on (not hot,
    /// not compilable, or the compiled loop refused the frame).</summary>
    public bool TryOnStackReplacement(ExecutionState state, int function, int header, ref Value frame)
    {
        if (++Engine.Counters[function] <= Threshold || _nestedResumes >= MaxNestedResumes) return false;
        if (Engine.TryGetOrCompile(function, this) is not { } compiled) return false; // not compilable: keep interpreting
        nint entry = compiled.OsrEntries[header];
        if (entry == 0) return false;
        Log?.OsrEntry(compiled.Code, header);
        if (!Enter(state, entry, ref frame)) return false;
        Statistics.RecordOsrEntry(); // only entries the compiled loop took
        return true;
    }

    /// <summary>The status compiled code returns when it refuses an on-stack-replacement entry.</summary>
    private const long EntryRefused = 2;

    /// <summary>Runs compiled code on the activation whose local 0 is <paramref name="frame"/>; its
    /// result is left in that slot. Run-time errors surface as the interpreter's exceptions. False
    /// when an on-stack-replacement entry refused the frame (nothing ran: the interpreter goes on).</summary>
    public bool Enter(ExecutionState state, nint entry, ref Value frame)
    {
        ref var context = ref _context[0];
        context.FrameCount = state.FrameCount;
        context.StepsLeft = state.StepsLeft;
        SyncFrames(state);
        SyncSegment(state);
        long status = CompiledCode.Invoke(entry, ref frame, Context);
        state.StepsLeft = context.StepsLeft;
        if (status == 0) return true;
        if (status == EntryRefused) return false;
        var pending = state.PendingException ?? new InvalidOperationException("compiled code reported an error but left none");
        state.PendingException = null;
        ExceptionDispatchInfo.Throw(pending);
        return false;
    }

    /// <summary>
    /// A deoptimization exit of compile <paramref name="version"/> was taken (exit
    /// <paramref name="point"/>) by the activation whose local 0 is slot <paramref name="frameSlot"/>
    /// of the active segment, with <paramref name="frameCount"/> frame records in use. Counts it,
    /// learns from it (the profile records what broke the bet, and the code is replaced), then
    /// finishes the activation in the interpreter from the exit's instruction. Returns the status the
    /// exit returns: 0 with the result in local 0, or <see cref="EntryRefused"/> at an on-stack-replacement entry.
    /// </summary>
    public long Deoptimize(ExecutionState state, int frameSlot, int version, int point, int frameCount)
    {
        var compiled = Engine.Version(version);
        var exit = compiled.Block.DeoptPoints[point];
        var code = compiled.Code;
        bool forced = compiled.ForcedFlags is { } flags && flags[exit.ResumeAt] == 0;
        if (forced)
        {
            compiled.ForcedFlags![exit.ResumeAt] = 1;
        }
        else
        {
            LearnFrom(state, compiled, exit, frameSlot);
            Engine.Invalidate(compiled);
        }
        Statistics.RecordDeoptimization(forced);
        Log?.Deoptimized(state, code, exit, frameSlot, forced);
        if (exit.RefusesEntry) return EntryRefused;
        Resume(state, code.Index, exit.ResumeAt, exit.Depth, frameSlot, frameCount);
        return 0;
    }

    /// <summary>
    /// A compiled caller called <paramref name="function"/> through its interpreting entry (it has no
    /// compiled code: not hot yet, or not compilable) on the frame at slot <paramref name="frameSlot"/>,
    /// its caller's record written (<paramref name="frameCount"/> records in use). The call is
    /// counted and profiled as the tiered interpreter counts and profiles its own calls
    /// (<see cref="EntryForCall"/>, <c>TieredCall</c>, <c>TieredReturn</c>). If this call makes the
    /// function hot, it is compiled, betting on its profile, and its internal entry is returned: the
    /// stub jumps there on the untouched frame, and the compiled caller's later calls find it in the
    /// entry table. Otherwise (0 is returned) the interpreter runs the whole activation and leaves
    /// its result in local 0.
    /// </summary>
    public nint CallInterpreted(ExecutionState state, int function, int frameSlot, int frameCount)
    {
        var code = state.Code[function];
        Profiles[function].SawArguments(state.Segment.AsSpan(frameSlot, code.ParamCount));
        nint start = Engine.CompiledStart(function);
        if (start == 0 && (Tier == MiniVmTier.Jit || ++Engine.Counters[function] > Threshold))
            start = Engine.TryGetOrCompile(function, this)?.Start ?? 0;
        if (start != 0) return start;
        Resume(state, function, 0, 0, frameSlot, frameCount);
        // The result's kind, for the compiled caller's call site (as the interpreter's TieredReturn records it).
        ref CallFrame caller = ref state.Frames[frameCount - 1];
        Profiles[caller.Function].SawValue(caller.ResumeAt - 1, state.Segment[frameSlot].Kind);
        return 0;
    }

    /// <summary>Records in the profile what broke the bet, so the next compile does not make it again.
    /// A bet of an inline body's is the callee's to learn, as from a deoptimization of its own: the
    /// caller's recompile inlines it again with the wider bet (the caller's trap limit ends any
    /// cycle). An inline body that left its path for anything else marks the call site, and the
    /// caller's recompile calls there.</summary>
    private void LearnFrom(ExecutionState state, CompiledFunction compiled, DeoptPoint exit, int frameSlot)
    {
        if (exit.Reason != DeoptReason.InlinedCall)
        {
            Learn(state, Profiles[compiled.Code.Index], compiled.Code, exit, frameSlot);
            return;
        }
        var callee = state.Module.AllCode[exit.Detail];
        if (exit.Inlined is not { } guard || !Learn(state, Profiles[exit.Detail], callee, guard.AsCalleeExit(), InlinedFrameSlot(state, compiled.Code, exit, frameSlot)))
            Profiles[compiled.Code.Index].SawInlineFailure(exit.ResumeAt);
    }

    /// <summary>Records exit <paramref name="exit"/> of <paramref name="code"/> (whose frame is at
    /// <paramref name="frameSlot"/>) in its profile; false for an exit there is nothing to learn from.</summary>
    private static bool Learn(ExecutionState state, FunctionProfile profile, FunctionCode code, DeoptPoint exit, int frameSlot)
    {
        var frame = state.Segment.AsSpan(frameSlot);
        switch (exit.Reason)
        {
            case DeoptReason.ParameterKind:
                profile.SawParameter(exit.Detail, frame[exit.Detail].Kind);
                return true;
            case DeoptReason.ResultKind:
                profile.SawValue(exit.ResumeAt - 1, frame[code.LocalCount + exit.Depth - 1].Kind);
                return true;
            case DeoptReason.GlobalKind:
                profile.SawValue(exit.ResumeAt, state.Globals[exit.Detail].Kind);
                return true;
            case DeoptReason.BranchNeverTaken:
            case DeoptReason.BranchAlwaysTaken:
                profile.SawBranch(exit.ResumeAt, jumped: exit.Reason == DeoptReason.BranchNeverTaken);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Where an inline body's frame (its local 0) is, for an exit of its call: above the
    /// caller's locals and the operand stack below the arguments.</summary>
    public static int InlinedFrameSlot(ExecutionState state, FunctionCode caller, DeoptPoint exit, int frameSlot) =>
        frameSlot + caller.LocalCount + exit.Depth - state.Module.AllCode[exit.Detail].ParamCount;

    /// <summary>Runs the activation in the interpreter from <paramref name="instruction"/>, with
    /// <paramref name="depth"/> values on its stack, to its end (see <see cref="BytecodeInterpreter.Resume"/>),
    /// leaving its result in local 0, and puts back what the interpreter changed that compiled code keeps.</summary>
    private void Resume(ExecutionState state, int function, int instruction, int depth, int frameSlot, int frameCount)
    {
        // The interpreter's own cursors, as they were when it entered compiled code (which keeps its
        // record count in a register): put back once the activation is finished.
        int savedBase = state.BaseFrameCount, savedFunction = state.Function, savedCount = state.FrameCount;
        state.FrameCount = frameCount;
        state.BaseFrameCount = frameCount;
        state.StepsLeft = _context[0].StepsLeft;
        _nestedResumes++;
        try
        {
            var result = BytecodeInterpreter.Resume(state, function, instruction, frameSlot, depth);
            state.Segment[frameSlot] = result;
        }
        finally
        {
            _nestedResumes--;
            state.BaseFrameCount = savedBase;
            state.Function = savedFunction;
            state.FrameCount = savedCount;
            _context[0].StepsLeft = state.StepsLeft;
            // The interpreter may have grown the records, and entered compiled code that synced its
            // own segment: the compiled frames below go on with this activation's.
            SyncFrames(state);
            SyncSegment(state);
        }
    }
}

/// <summary>What the JIT did during one instance's runs (<c>--stats</c>).</summary>
internal sealed class JitStatistics
{
    public int FunctionsCompiled { get; private set; }
    public int Recompiles { get; private set; }
    public int OsrEntries { get; private set; }
    public int Deoptimizations { get; private set; }
    public int ForcedDeoptimizations { get; private set; }
    public int CompileFailures { get; private set; }
    public long CodeBytes { get; private set; }
    public TimeSpan CompileTime { get; private set; }

    public void RecordCompile(int bytes, TimeSpan time, bool recompile)
    {
        FunctionsCompiled++;
        if (recompile) Recompiles++;
        CodeBytes += bytes;
        CompileTime += time;
    }

    public void RecordDeoptimization(bool forced)
    {
        if (forced) ForcedDeoptimizations++;
        else Deoptimizations++;
    }

    public void RecordOsrEntry() => OsrEntries++;

    public void RecordCompileFailure() => CompileFailures++;
}
