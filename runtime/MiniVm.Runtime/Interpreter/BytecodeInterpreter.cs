using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MiniVm.Builtins;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Values;

namespace MiniVm.Interpreter;

/// <summary>
/// The stack-machine interpreter: one loop, one <c>switch</c>, no recursion on the .NET stack
/// (a MiniVm call pushes a <see cref="CallFrame"/> and carries on in the same loop, so script
/// recursion depth is bounded by <see cref="ExecutionState.MaxDepth"/>, never by the native stack).
/// Each activation's locals and operand stack are one window of a stack segment; the
/// arguments a caller pushed become the callee's first locals in place.
/// <para>
/// The verifier has proved every index in range and every stack depth within the frame, so
/// the loop reads slots and instructions without bounds checks (<see cref="Unsafe.Add{T}(ref T, int)"/>)
/// and re-checks nothing it proved. Ints take an inline fast path; everything else goes through
/// <see cref="Operations"/>, the reference semantics.
/// </para>
/// </summary>
internal static class BytecodeInterpreter
{
    /// <summary>Runs <paramref name="entry"/> with <paramref name="args"/> to completion and returns its result.</summary>
    public static Value Run(ExecutionState state, FunctionCode entry, ReadOnlySpan<Value> args)
    {
        int entryDepth = entry == state.Module.TopLevel ? 0 : 1;
        if (entryDepth > state.MaxDepth)
            throw RuntimeError(state, entry, 0, 0, StackOverflowMessage(state));
        var segment = state.Stack[0];
        args.CopyTo(segment);
        segment.AsSpan(args.Length, entry.LocalCount - args.Length).Clear();
        return Execute(state, entry, entryDepth);
    }

    private static string StackOverflowMessage(ExecutionState state) => $"stack overflow (call depth limit {state.MaxDepth} exceeded)";

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Value Execute(ExecutionState state, FunctionCode entry, int depth)
    {
        const int entryFrames = 0;
        int frameCount = 0;
        var functions = state.Module.Functions;
        var globals = state.Globals;

        FunctionCode fn = entry;
        int segmentIndex = 0;
        Value[] stack = state.Stack[0];
        ref Value s0 = ref MemoryMarshal.GetArrayDataReference(stack);
        ref Instr code = ref MemoryMarshal.GetArrayDataReference(fn.Code);
        ref Value consts = ref MemoryMarshal.GetArrayDataReference(fn.Constants);
        int bp = 0;
        int sp = fn.LocalCount;
        int ip = 0;
        string? error;

        while (true)
        {
            Instr instr = Unsafe.Add(ref code, ip);
            switch (instr.Op)
            {
                case OpCode.LoadFast:
                    Unsafe.Add(ref s0, sp++) = Unsafe.Add(ref s0, bp + instr.Arg);
                    ip++;
                    continue;

                case OpCode.StoreFast:
                    Unsafe.Add(ref s0, bp + instr.Arg) = Unsafe.Add(ref s0, --sp);
                    ip++;
                    continue;

                case OpCode.LoadConst:
                    Unsafe.Add(ref s0, sp++) = Unsafe.Add(ref consts, instr.Arg);
                    ip++;
                    continue;

                case OpCode.LoadGlobal:
                {
                    Value value = globals[instr.Arg];
                    if (value.Kind == ValueKind.Unassigned)
                        throw Error(state, fn, ip, frameCount, $"name '{state.Module.Image.Globals[instr.Arg]}' is used before it is assigned");
                    Unsafe.Add(ref s0, sp++) = value;
                    ip++;
                    continue;
                }

                case OpCode.StoreGlobal:
                    globals[instr.Arg] = Unsafe.Add(ref s0, --sp);
                    ip++;
                    continue;

                case OpCode.PopTop:
                    sp--;
                    ip++;
                    continue;

                case OpCode.DupTop:
                    Unsafe.Add(ref s0, sp) = Unsafe.Add(ref s0, sp - 1);
                    sp++;
                    ip++;
                    continue;

                case OpCode.RotTwo:
                {
                    Value top = Unsafe.Add(ref s0, sp - 1);
                    Unsafe.Add(ref s0, sp - 1) = Unsafe.Add(ref s0, sp - 2);
                    Unsafe.Add(ref s0, sp - 2) = top;
                    ip++;
                    continue;
                }

                case OpCode.BinaryAdd:
                {
                    ref Value a = ref Unsafe.Add(ref s0, sp - 2);
                    Value b = Unsafe.Add(ref s0, sp - 1);
                    if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int)
                    {
                        long x = a.AsInt, y = b.AsInt, r = unchecked(x + y);
                        if (((x ^ r) & (y ^ r)) < 0) throw Error(state, fn, ip, frameCount, Bytecode.Semantics.ErrorMessages.IntegerOverflow);
                        a = Value.Int(r);
                    }
                    else if (a.Kind == ValueKind.Float && b.Kind == ValueKind.Float)
                    {
                        a = Value.Float(a.AsFloat + b.AsFloat);
                    }
                    else
                    {
                        state.ActiveSegment = segmentIndex;
                        state.ActiveTop = sp;
                        if ((error = Operations.Arithmetic(OpCode.BinaryAdd, ref a, b, state)) is not null)
                            throw Error(state, fn, ip, frameCount, error);
                    }
                    sp--;
                    ip++;
                    continue;
                }

                case OpCode.BinarySubtract:
                {
                    ref Value a = ref Unsafe.Add(ref s0, sp - 2);
                    Value b = Unsafe.Add(ref s0, sp - 1);
                    if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int)
                    {
                        long x = a.AsInt, y = b.AsInt, r = unchecked(x - y);
                        if (((x ^ y) & (x ^ r)) < 0) throw Error(state, fn, ip, frameCount, Bytecode.Semantics.ErrorMessages.IntegerOverflow);
                        a = Value.Int(r);
                    }
                    else if (a.Kind == ValueKind.Float && b.Kind == ValueKind.Float)
                    {
                        a = Value.Float(a.AsFloat - b.AsFloat);
                    }
                    else if ((error = Operations.Arithmetic(OpCode.BinarySubtract, ref a, b, state)) is not null)
                    {
                        throw Error(state, fn, ip, frameCount, error);
                    }
                    sp--;
                    ip++;
                    continue;
                }

                case OpCode.BinaryMultiply:
                {
                    ref Value a = ref Unsafe.Add(ref s0, sp - 2);
                    Value b = Unsafe.Add(ref s0, sp - 1);
                    if (a.Kind == ValueKind.Float && b.Kind == ValueKind.Float)
                        a = Value.Float(a.AsFloat * b.AsFloat);
                    else if ((error = Operations.Arithmetic(OpCode.BinaryMultiply, ref a, b, state)) is not null)
                        throw Error(state, fn, ip, frameCount, error);
                    sp--;
                    ip++;
                    continue;
                }

                case OpCode.BinaryDivide:
                case OpCode.BinaryModulo:
                {
                    ref Value a = ref Unsafe.Add(ref s0, sp - 2);
                    Value b = Unsafe.Add(ref s0, sp - 1);
                    if ((error = Operations.Arithmetic(instr.Op, ref a, b, state)) is not null)
                        throw Error(state, fn, ip, frameCount, error);
                    sp--;
                    ip++;
                    continue;
                }

                case OpCode.UnaryNegative:
                    if ((error = Operations.Negate(ref Unsafe.Add(ref s0, sp - 1))) is not null)
                        throw Error(state, fn, ip, frameCount, error);
                    ip++;
                    continue;

                case OpCode.UnaryNot:
                    if ((error = Operations.Not(ref Unsafe.Add(ref s0, sp - 1))) is not null)
                        throw Error(state, fn, ip, frameCount, error);
                    ip++;
                    continue;

                case OpCode.CompareOp:
                {
                    ref Value a = ref Unsafe.Add(ref s0, sp - 2);
                    Value b = Unsafe.Add(ref s0, sp - 1);
                    if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int)
                    {
                        long x = a.AsInt, y = b.AsInt;
                        a = Value.Bool((CompareKind)instr.Arg switch
                        {
                            CompareKind.Less => x < y,
                            CompareKind.LessEqual => x <= y,
                            CompareKind.Equal => x == y,
                            CompareKind.NotEqual => x != y,
                            CompareKind.Greater => x > y,
                            _ => x >= y,
                        });
                    }
                    else if ((error = Operations.Compare((CompareKind)instr.Arg, ref a, b, state.Strings)) is not null)
                    {
                        throw Error(state, fn, ip, frameCount, error);
                    }
                    sp--;
                    ip++;
                    continue;
                }

                case OpCode.JumpAbsolute:
                case OpCode.JumpForward:
                    ip = instr.Arg;
                    continue;

                case OpCode.PopJumpIfFalse:
                {
                    Value c = Unsafe.Add(ref s0, --sp);
                    if (c.Kind != ValueKind.Bool) throw Error(state, fn, ip, frameCount, Operations.ConditionError(c));
                    ip = c.Bits == 0 ? instr.Arg : ip + 1;
                    continue;
                }

                case OpCode.PopJumpIfTrue:
                {
                    Value c = Unsafe.Add(ref s0, --sp);
                    if (c.Kind != ValueKind.Bool) throw Error(state, fn, ip, frameCount, Operations.ConditionError(c));
                    ip = c.Bits != 0 ? instr.Arg : ip + 1;
                    continue;
                }

                case OpCode.JumpIfFalseOrPop:
                case OpCode.JumpIfTrueOrPop:
                {
                    Value c = Unsafe.Add(ref s0, sp - 1);
                    bool isAnd = instr.Op == OpCode.JumpIfFalseOrPop;
                    if (c.Kind != ValueKind.Bool)
                        throw Error(state, fn, ip, frameCount, Operations.BoolOperandError(isAnd ? BoolOperator.And : BoolOperator.Or, c));
                    if ((c.Bits != 0) != isAnd)
                    {
                        ip = instr.Arg;
                    }
                    else
                    {
                        sp--;
                        ip++;
                    }
                    continue;
                }

                case OpCode.RequireBool:
                {
                    Value c = Unsafe.Add(ref s0, sp - 1);
                    if (c.Kind != ValueKind.Bool)
                        throw Error(state, fn, ip, frameCount, Operations.BoolOperandError((BoolOperator)instr.Arg, c));
                    ip++;
                    continue;
                }

                case OpCode.CallFunction:
                {
                    FunctionCode callee = functions[instr.Arg];
                    if (depth >= state.MaxDepth) throw Error(state, fn, ip, frameCount, StackOverflowMessage(state));
                    if (frameCount == state.Frames.Length)
                    {
                        var grown = state.Frames;
                        Array.Resize(ref grown, grown.Length * 2);
                        state.Frames = grown;
                    }
                    int argBase = sp - callee.ParamCount;
                    ref CallFrame frame = ref state.Frames[frameCount++];
                    frame.Function = fn;
                    frame.ResumeAt = ip + 1;
                    frame.FrameBase = bp;
                    frame.StackTop = argBase;
                    frame.Segment = segmentIndex;
                    depth++;
                    if (argBase + callee.FrameSize > stack.Length)
                    {
                        // The callee's frame would run past this segment: start it at the bottom of the next.
                        var next = state.Stack.Next(segmentIndex, callee.FrameSize);
                        stack.AsSpan(argBase, callee.ParamCount).CopyTo(next);
                        segmentIndex++;
                        stack = next;
                        s0 = ref MemoryMarshal.GetArrayDataReference(stack);
                        argBase = 0;
                    }
                    bp = argBase;
                    for (int i = callee.ParamCount; i < callee.LocalCount; i++) Unsafe.Add(ref s0, bp + i) = default;
                    sp = bp + callee.LocalCount;
                    fn = callee;
                    code = ref MemoryMarshal.GetArrayDataReference(fn.Code);
                    consts = ref MemoryMarshal.GetArrayDataReference(fn.Constants);
                    ip = 0;
                    continue;
                }

                case OpCode.ReturnValue:
                {
                    Value result = Unsafe.Add(ref s0, sp - 1);
                    if (frameCount == entryFrames) return result;
                    ref CallFrame frame = ref state.Frames[--frameCount];
                    depth--;
                    fn = frame.Function;
                    code = ref MemoryMarshal.GetArrayDataReference(fn.Code);
                    consts = ref MemoryMarshal.GetArrayDataReference(fn.Constants);
                    ip = frame.ResumeAt;
                    bp = frame.FrameBase;
                    sp = frame.StackTop;
                    if (frame.Segment != segmentIndex)
                    {
                        segmentIndex = frame.Segment;
                        stack = state.Stack[segmentIndex];
                        s0 = ref MemoryMarshal.GetArrayDataReference(stack);
                    }
                    frame.Function = null!; // let a finished run's code be collected
                    Unsafe.Add(ref s0, sp++) = result;
                    continue;
                }

                case OpCode.CallBuiltin:
                {
                    var (id, argc) = BuiltinInfo.DecodeCall(instr.Arg);
                    state.ActiveSegment = segmentIndex;
                    state.ActiveTop = sp;
                    var args = new ReadOnlySpan<Value>(stack, sp - argc, argc);
                    if ((error = BuiltinFunctions.Call((BuiltinId)id, args, state, out Value result)) is not null)
                        throw Error(state, fn, ip, frameCount, error);
                    sp -= argc;
                    Unsafe.Add(ref s0, sp++) = result;
                    ip++;
                    continue;
                }

                case OpCode.PrintExpr:
                {
                    Value value = Unsafe.Add(ref s0, --sp);
                    if (value.Kind != ValueKind.None)
                        state.Output.Write(ValueText.Format(value, state.Strings) + "\n");
                    ip++;
                    continue;
                }

                default:
                    // Unreachable for verified code: the verifier admits only opcodes of the table,
                    // and a test checks this switch handles every one of them.
                    throw new InvalidOperationException($"the interpreter has no handler for {instr.Op}");
            }
        }
    }

    /// <summary>Builds the run-time error for the instruction at <paramref name="ip"/> of
    /// <paramref name="fn"/>, with the trace of every active frame, innermost first.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MiniVmRuntimeException Error(ExecutionState state, FunctionCode fn, int ip, int frameCount, string message) =>
        RuntimeError(state, fn, ip, frameCount, message);

    private static MiniVmRuntimeException RuntimeError(ExecutionState state, FunctionCode fn, int ip, int frameCount, string message)
    {
        string source = state.Module.Image.SourceName;
        var trace = new List<MiniVmStackFrame>(Math.Min(frameCount + 1, 4096))
        {
            new(fn.Name, source, fn.LineAt(ip)),
        };
        for (int i = frameCount - 1; i >= 0; i--)
        {
            ref CallFrame frame = ref state.Frames[i];
            trace.Add(new MiniVmStackFrame(frame.Function.Name, source, frame.Function.LineAt(frame.ResumeAt - 1)));
        }
        for (int i = 0; i < frameCount; i++) state.Frames[i].Function = null!;
        return new MiniVmRuntimeException(message, trace);
    }
}
