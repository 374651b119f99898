using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MiniVm.Builtins;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;
using MiniVm.Values;

namespace MiniVm.Jit.Calls;

/// <summary>
/// The slow paths compiled code calls: everything that is not an int or float fast path
/// (strings, mixed types, errors, builtins, output, calls that need more frame records or a new
/// stack segment, lazy compilation). Each is a plain C function of the System V convention, so
/// compiled code calls it with <c>call rax</c>. A helper never lets an exception escape (that
/// would tear through compiled frames): it stores the exception in the run's state and returns
/// the error status, which every compiled frame passes up to the managed entry that rethrows it.
/// The semantics are the interpreter's own (<see cref="Operations"/>, <see cref="BuiltinFunctions"/>).
/// </summary>
internal static unsafe class RuntimeHelpers
{
    /// <summary>What a failing check in compiled code reports (<see cref="RaiseError"/>).</summary>
    public enum ErrorKind
    {
        Condition,
        BoolOperand,
        Not,
        UnassignedGlobal,
        Negate,
    }

    public static readonly nint Arithmetic = (nint)(delegate* unmanaged<JitContext*, int, Value*, Value*, int, int, long>)&ArithmeticHelper;
    public static readonly nint Compare = (nint)(delegate* unmanaged<JitContext*, int, Value*, Value*, int, int, long>)&CompareHelper;
    public static readonly nint Error = (nint)(delegate* unmanaged<JitContext*, int, Value*, int, int, int, long>)&RaiseError;
    public static readonly nint Builtin = (nint)(delegate* unmanaged<JitContext*, int, Value*, int, int, long>)&BuiltinHelper;
    public static readonly nint PrintExpr = (nint)(delegate* unmanaged<JitContext*, Value*, long>)&PrintExprHelper;
    public static readonly nint CheckCall = (nint)(delegate* unmanaged<JitContext*, int, int, long>)&CheckCallHelper;
    public static readonly nint EnterSegment = (nint)(delegate* unmanaged<JitContext*, Value*, int, Value*>)&EnterSegmentHelper;
    public static readonly nint LeaveSegment = (nint)(delegate* unmanaged<JitContext*, Value*>)&LeaveSegmentHelper;
    public static readonly nint EnsureCompiled = (nint)(delegate* unmanaged<JitContext*, int, nint>)&EnsureCompiledHelper;
    public static readonly nint RenewSteps = (nint)(delegate* unmanaged<JitContext*, int, int, long>)&RenewStepsHelper;
    public static readonly nint ReserveSteps = (nint)(delegate* unmanaged<JitContext*, int, long>)&ReserveStepsHelper;
    public static readonly nint Interpret = (nint)(delegate* unmanaged<JitContext*, Value*, int, nint>)&InterpretHelper;
    public static readonly nint Deoptimize = (nint)(delegate* unmanaged<JitContext*, Value*, int, int, long>)&DeoptimizeHelper;

    private static ExecutionState StateOf(JitContext* context) => (ExecutionState)GCHandle.FromIntPtr(context->State).Target!;

    /// <summary>Records the run-time error at instruction <paramref name="at"/> of code block
    /// <paramref name="function"/>, with the trace of every active frame; returns the error status.</summary>
    private static long Fail(ExecutionState state, JitContext* context, int function, int at, string message)
    {
        state.PendingException = BytecodeInterpreter.RuntimeError(state, state.Code[function], at, context->FrameCount, message);
        return 1;
    }

    private static long Fail(ExecutionState? state, Exception exception)
    {
        if (state is not null) state.PendingException = exception;
        return 1;
    }

    /// <summary>The index in the active segment of the slot at <paramref name="slot"/>.</summary>
    private static int SlotIndex(ExecutionState state, Value* slot) => (int)(slot - (Value*)Unsafe.AsPointer(ref state.Segment[0]));

    /// <summary>Tells the string collector where the live stack ends (every slot below <paramref name="top"/>).</summary>
    private static void SetActiveTop(ExecutionState state, Value* top) => state.ActiveTop = SlotIndex(state, top);

    [UnmanagedCallersOnly]
    private static long ArithmeticHelper(JitContext* context, int op, Value* a, Value* b, int function, int at)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            SetActiveTop(state, b + 1);
            string? error = Operations.Arithmetic((OpCode)op, ref *a, *b, state);
            return error is null ? 0 : Fail(state, context, function, at, error);
        }
        catch (Exception e)
        {
            return Fail(state, e);
        }
    }

    /// <summary>1 or 0: the comparison's result; -1: an error is pending.</summary>
    [UnmanagedCallersOnly]
    private static long CompareHelper(JitContext* context, int kind, Value* a, Value* b, int function, int at)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            Value result = *a;
            string? error = Operations.Compare((CompareKind)kind, ref result, *b, state.Strings);
            if (error is null) return result.AsBool ? 1 : 0;
            Fail(state, context, function, at, error);
            return -1;
        }
        catch (Exception e)
        {
            Fail(state, e);
            return -1;
        }
    }

    /// <summary>Unary minus on a non-int, non-float (or an int that overflows) goes here too:
    /// <see cref="ErrorKind.Negate"/> computes the result when there is one.</summary>
    [UnmanagedCallersOnly]
    private static long RaiseError(JitContext* context, int kind, Value* operand, int argument, int function, int at)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            string? message = (ErrorKind)kind switch
            {
                ErrorKind.Condition => Operations.ConditionError(*operand),
                ErrorKind.BoolOperand => Operations.BoolOperandError((BoolOperator)argument, *operand),
                ErrorKind.Not => Operations.Not(ref *operand),
                ErrorKind.UnassignedGlobal => BytecodeInterpreter.UnassignedMessage(state, argument),
                _ => Operations.Negate(ref *operand),
            };
            return message is null ? 0 : Fail(state, context, function, at, message);
        }
        catch (Exception e)
        {
            return Fail(state, e);
        }
    }

    [UnmanagedCallersOnly]
    private static long BuiltinHelper(JitContext* context, int call, Value* args, int function, int at)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            var (id, argc) = BuiltinInfo.DecodeCall(call);
            SetActiveTop(state, args + argc);
            string? error = BuiltinFunctions.Call((BuiltinId)id, new ReadOnlySpan<Value>(args, argc), state, out Value result);
            if (error is not null) return Fail(state, context, function, at, error);
            *args = result;
            return 0;
        }
        catch (Exception e)
        {
            return Fail(state, e);
        }
    }

    [UnmanagedCallersOnly]
    private static long PrintExprHelper(JitContext* context, Value* value)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            BytecodeInterpreter.PrintExpression(state, *value);
            return 0;
        }
        catch (Exception e)
        {
            return Fail(state, e);
        }
    }

    /// <summary>A call found no free frame record or little native stack: grow the records, or
    /// report the stack overflow the interpreter reports at the same call.</summary>
    [UnmanagedCallersOnly]
    private static long CheckCallHelper(JitContext* context, int function, int at)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            int count = context->FrameCount;
            if (count >= state.CallLimit || JitRun.StackIsLow())
                return Fail(state, context, function, at, BytecodeInterpreter.StackOverflowMessage(state));
            if (count >= state.Frames.Length) state.Frames = BytecodeInterpreter.GrowFrames(state.Frames);
            state.Jit!.SyncFrames(state);
            return 0;
        }
        catch (Exception e)
        {
            return Fail(state, e);
        }
    }

    /// <summary>The callee's frame does not fit in the active segment: start it at the bottom of the
    /// next one with the arguments copied there (as the interpreter does). Null on failure.</summary>
    [UnmanagedCallersOnly]
    private static Value* EnterSegmentHelper(JitContext* context, Value* args, int callee)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            var code = state.Code[callee];
            var next = state.Stack.Next(state.ActiveSegment, code.FrameSize);
            new ReadOnlySpan<Value>(args, code.ParamCount).CopyTo(next);
            state.ActiveSegment++;
            state.Segment = next;
            state.Jit!.SyncSegment(state);
            return (Value*)Unsafe.AsPointer(ref next[0]);
        }
        catch (Exception e)
        {
            Fail(state, e);
            return null;
        }
    }

    /// <summary>Returns to the previous segment after a call that started a new one; the result is
    /// the first slot of the segment left (the callee's frame, holding its result).</summary>
    [UnmanagedCallersOnly]
    private static Value* LeaveSegmentHelper(JitContext* context)
    {
        var state = StateOf(context);
        var left = state.Segment;
        state.ActiveSegment--;
        state.Segment = state.Stack[state.ActiveSegment];
        state.Jit!.SyncSegment(state);
        return (Value*)Unsafe.AsPointer(ref left[0]);
    }

    /// <summary>Compiled code used up its steps at instruction <paramref name="at"/> of code block
    /// <paramref name="function"/>: the budget grants more, or the run stops there with the
    /// interpreter's error (or <see cref="OperationCanceledException"/>).</summary>
    [UnmanagedCallersOnly]
    private static long RenewStepsHelper(JitContext* context, int function, int at)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            state.StepsLeft = context->StepsLeft;
            string? message = state.Budget.Renew(ref state.StepsLeft);
            context->StepsLeft = state.StepsLeft;
            return message is null ? 0 : Fail(state, context, function, at, message);
        }
        catch (Exception e)
        {
            return Fail(state, e);
        }
    }

    /// <summary>The steps of a loop's next inlined call, reserved ahead of time (see
    /// FunctionCompiler.StepReservation.cs): 0 when taken, <see cref="StepsNotReserved"/> when the
    /// budget cannot cover them (nothing taken), 1 with the run's cancellation pending.</summary>
    [UnmanagedCallersOnly]
    private static long ReserveStepsHelper(JitContext* context, int steps)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            long left = context->StepsLeft;
            if (!state.Budget.TryReserve(ref left, steps)) return StepsNotReserved;
            context->StepsLeft = left;
            return 0;
        }
        catch (Exception e)
        {
            return Fail(state, e);
        }
    }

    /// <summary>What <see cref="ReserveSteps"/> returns when the budget cannot cover the steps.</summary>
    public const long StepsNotReserved = 2;

    /// <summary>Compiled code called <paramref name="function"/> through its interpreting entry (see
    /// <see cref="JitEngine.InterpretingEntry"/>) on <paramref name="frame"/>: counted and profiled,
    /// and run by the interpreter unless this call made it hot (<see cref="JitRun.CallInterpreted"/>).
    /// Returns the activation's status (0, or 1 with the error pending), or the internal entry of
    /// the code just compiled for it (an address, never 0 or 1), for the stub to jump to.</summary>
    [UnmanagedCallersOnly]
    private static nint InterpretHelper(JitContext* context, Value* frame, int function)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            return state.Jit!.CallInterpreted(state, function, SlotIndex(state, frame), context->FrameCount);
        }
        catch (Exception e)
        {
            return (nint)Fail(state, e);
        }
    }

    /// <summary>A deoptimization exit of compile <paramref name="version"/> was taken by the
    /// activation at <paramref name="frame"/>, which it left as the interpreter's frame: the
    /// interpreter finishes the activation (see <see cref="JitRun.Deoptimize"/>). Returns the
    /// activation's status.</summary>
    [UnmanagedCallersOnly]
    private static long DeoptimizeHelper(JitContext* context, Value* frame, int version, int point)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            return state.Jit!.Deoptimize(state, SlotIndex(state, frame), version, point, context->FrameCount);
        }
        catch (Exception e)
        {
            return Fail(state, e);
        }
    }

    /// <summary>A compiled call reached a function with no entry in the table: the entry to call
    /// (<see cref="JitRun.InternalEntryOf"/>: its code, compiled now in the <c>jit</c> mode, or in the
    /// tiered mode one that interprets it until it is hot). Returns 0 with the error pending on failure.</summary>
    [UnmanagedCallersOnly]
    private static nint EnsureCompiledHelper(JitContext* context, int callee)
    {
        ExecutionState? state = null;
        try
        {
            state = StateOf(context);
            return state.Jit!.InternalEntryOf(callee);
        }
        catch (Exception e)
        {
            Fail(state, e);
            return 0;
        }
    }
}
