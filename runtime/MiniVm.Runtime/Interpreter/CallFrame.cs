namespace MiniVm.Interpreter;

/// <summary>
/// What a call saves of its caller: the code, the instruction to resume at, and where the
/// caller's frame lives. Arguments are the top of the caller's operand stack and become the
/// callee's first locals in place, so a call copies nothing (unless the callee's frame must
/// start a new stack segment). Only ints, so saving a frame needs no GC write barrier.
/// </summary>
internal struct CallFrame
{
    /// <summary>The caller's <see cref="FunctionCode.Index"/>.</summary>
    public int Function;
    public int ResumeAt;
    public int FrameBase;
    /// <summary>The caller's stack height once the arguments are popped: the result goes here.</summary>
    public int StackTop;
    public int Segment;
}
