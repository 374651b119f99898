using System.Runtime.InteropServices;
using MiniVm.Interpreter;

namespace MiniVm.Jit;

/// <summary>
/// What compiled code reads and writes of a run, at fixed offsets from the register that holds
/// its address (r12). One per <see cref="ExecutionState"/>, in a pinned array so it never moves
/// and managed code reads it without pointers. Besides the frame base (rbx), compiled code keeps
/// this context, the globals, the record count and the steps left in registers (r12 to r15, see
/// <see cref="Compilation.FunctionCompiler"/>); everything else lives here or in the pinned frame
/// memory the interpreter shares, so a compiled frame is an interpreter frame.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct JitContext
{
    /// <summary>The first global (<see cref="ExecutionState.Globals"/>, pinned).</summary>
    public nint Globals;
    /// <summary>The first <see cref="Interpreter.CallFrame"/> record (<see cref="ExecutionState.Frames"/>, pinned).</summary>
    public nint Frames;
    /// <summary>Records in use: the interpreter's <see cref="ExecutionState.FrameCount"/> when
    /// compiled code is entered; compiled code keeps it in r14 and writes it back here before each
    /// helper call (helpers build traces from it).</summary>
    public int FrameCount;
    /// <summary>Compiled calls take the fast path while <see cref="FrameCount"/> is below this:
    /// the smaller of the call limit and the records' capacity.</summary>
    public int FrameLimit;
    /// <summary>First byte past the active stack segment: a callee frame must end at or below it.</summary>
    public nint SegmentEnd;
    /// <summary>A GC handle to the run's <see cref="ExecutionState"/>, for the helpers.</summary>
    public nint State;
    /// <summary>The run's <see cref="ExecutionState.StepsLeft"/> while compiled code runs: compiled code
    /// keeps it in r15 and writes it back here at every exit and before each helper call.</summary>
    public long StepsLeft;

    public static readonly int GlobalsOffset = (int)Marshal.OffsetOf(typeof(JitContext), nameof(Globals));
    public static readonly int FramesOffset = (int)Marshal.OffsetOf(typeof(JitContext), nameof(Frames));
    public static readonly int FrameCountOffset = (int)Marshal.OffsetOf(typeof(JitContext), nameof(FrameCount));
    public static readonly int FrameLimitOffset = (int)Marshal.OffsetOf(typeof(JitContext), nameof(FrameLimit));
    public static readonly int SegmentEndOffset = (int)Marshal.OffsetOf(typeof(JitContext), nameof(SegmentEnd));
    public static readonly int StepsLeftOffset = (int)Marshal.OffsetOf(typeof(JitContext), nameof(StepsLeft));
}
