using MiniVm.Jit;
using MiniVm.Values;

namespace MiniVm.Interpreter;

/// <summary>
/// Everything one run owns: globals, strings, the frame stack, output. A loaded module is
/// shared and immutable; each <see cref="MiniVmInstance"/> has one of these, used by one thread
/// at a time.
/// </summary>
internal sealed class ExecutionState
{
    /// <summary>Longest string a program may build (characters).</summary>
    public const int MaxStringLength = 1 << 28;

    public ExecutionState(PreparedModule module, TextWriter output, int maxDepth)
    {
        Module = module;
        Output = output;
        MaxDepth = maxDepth;
        Strings = new StringHeap(module.PermanentStrings);
        Code = module.AllCode;
        // Pinned, like the stack segments and frame records: compiled code addresses them directly.
        Globals = GC.AllocateArray<Value>(module.Image.Globals.Length, pinned: true);
        Array.Fill(Globals, Value.Unassigned);
    }

    public PreparedModule Module { get; }
    public TextWriter Output { get; }
    public int MaxDepth { get; }
    public StringHeap Strings { get; }
    public Value[] Globals { get; }
    public ValueStack Stack { get; } = new();
    public CallFrame[] Frames { get; set; } = GC.AllocateArray<CallFrame>(64, pinned: true);

    // The interpreter's state beyond its five cursors (see BytecodeInterpreter.Execute).

    /// <summary>Every code block by index (<see cref="PreparedModule.AllCode"/>).</summary>
    public readonly FunctionCode[] Code;
    /// <summary>The <see cref="FunctionCode.Index"/> of the innermost activation.</summary>
    public int Function;
    /// <summary>Frames saved below the innermost activation.</summary>
    public int FrameCount;
    /// <summary>The frames saved below the activation the interpreter loop started with: when that
    /// activation returns, the loop does (0 for a run; more for an activation a deoptimization
    /// handed over, whose callers are compiled frames).</summary>
    public int BaseFrameCount;
    /// <summary>The most frames that may be saved (the call depth limit, less the entry's own).</summary>
    public int CallLimit;
    /// <summary>The stack segment the innermost activation lives in, and its index.</summary>
    public Value[] Segment = null!;

    public int ActiveSegment;

    /// <summary>Set by the interpreter before any operation that may allocate a string, so a
    /// collection sees every live slot: segments below <see cref="ActiveSegment"/> whole, and
    /// the active one up to this slot.</summary>
    public int ActiveTop;

    /// <summary>The JIT's side of this run in the <c>jit</c> and <c>tiered</c> modes; null in the interpreter mode.</summary>
    public JitRun? Jit;

    /// <summary>The error compiled code raised (through a helper), until the managed entry rethrows it.</summary>
    public Exception? PendingException;

    /// <summary>What can stop the current run besides its end (a step budget, a cancellation token).</summary>
    public StepBudget Budget = new(null, CancellationToken.None);

    /// <summary>Steps (calls, loop back-edges) the run may take before <see cref="Budget"/> is asked
    /// again: here, one field away from the interpreter loop, where each step decrements it.</summary>
    public long StepsLeft;

    /// <summary>True while a run is executing (an instance is not re-entrant).</summary>
    public bool IsRunning;

    public Value NewString(string text)
    {
        if (Strings.WantsCollection) Strings.Collect(MarkRoots);
        return Strings.Add(text);
    }

    private void MarkRoots(Action<Value> mark)
    {
        foreach (var value in Globals) mark(value);
        for (int s = 0; s <= ActiveSegment && s < Stack.SegmentCount; s++)
        {
            var segment = Stack[s];
            int top = s == ActiveSegment ? ActiveTop : segment.Length;
            for (int i = 0; i < top; i++) mark(segment[i]);
        }
    }
}
