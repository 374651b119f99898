using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MiniVm.Builtins;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Bytecode.Semantics;
using MiniVm.Values;

namespace MiniVm.Interpreter;

/// <summary>
/// The stack-machine interpreter: one loop, one <c>switch</c>, no recursion on the .NET stack
/// (a MiniVm call pushes a <see cref="CallFrame"/> and carries on in the same loop, so script
/// recursion depth is bounded by <see cref="ExecutionState.MaxDepth"/>, never by the native stack).
/// Each activation's locals and operand stack are one window of a stack segment; the
/// arguments a caller pushed become the callee's first locals in place.
/// <para>
/// The loop keeps three cursors as managed references: <c>pc</c> (the instruction), <c>frame</c>
/// (local 0 of the activation) and <c>top</c> (the first free operand slot). Few live variables
/// let the .NET JIT keep them in registers. The verifier has proved every index in range and
/// every stack depth within the frame, so slots and instructions are reached with
/// <see cref="Unsafe.Add{T}(ref T, int)"/> and nothing it proved is checked again. Ints take
/// inline fast paths; everything else goes through <see cref="Operations"/>, the reference semantics.
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
        // The entry frame starts the first segment, which must hold it whole: the loop reads slots unchecked.
        var segment = state.Stack.First(entry.FrameSize);
        args.CopyTo(segment);
        segment.AsSpan(args.Length, entry.LocalCount - args.Length).Clear();
        StartRun(state, entry, state.MaxDepth - entryDepth);
        if (state.Jit is { } jit)
        {
            if (state.Module.TopLevel != entry) jit.Profiles[entry.Index].SawArguments(args);
            if (jit.EntryForCall(entry.Index) is var compiled && compiled != 0)
            {
                // The jit mode, or an entry that is already hot: the whole run is compiled code.
                jit.Enter(state, compiled, ref segment[0]);
                return segment[0];
            }
        }
        entry.Prepare();
        return Execute(state, entry, 0, 0, entry.LocalCount);
    }

    /// <summary>
    /// Deoptimization's way back: continues, in the interpreter, the activation of code block
    /// <paramref name="function"/> whose local 0 is slot <paramref name="frameSlot"/> of the active
    /// segment, at instruction <paramref name="instruction"/> with <paramref name="depth"/> values on
    /// its operand stack, and returns its result when it returns. Compiled code left the frame
    /// exactly as the interpreter would have it there (same slots, same frame records below), so
    /// nothing is copied. Frames saved below the activation stay where they are: the caller (a
    /// compiled frame, or the managed code that entered it) takes the result back.
    /// </summary>
    internal static Value Resume(ExecutionState state, int function, int instruction, int frameSlot, int depth)
    {
        var code = state.Code[function];
        code.Prepare();
        state.Function = function;
        return Execute(state, code, instruction, frameSlot, frameSlot + code.LocalCount + depth);
    }

    /// <param name="callLimit">How many frames may be pushed on top of the entry frame.</param>
    private static void StartRun(ExecutionState state, FunctionCode entry, int callLimit)
    {
        state.CallLimit = callLimit;
        state.FrameCount = 0;
        state.BaseFrameCount = 0;
        state.Budget.Start(out state.StepsLeft);
        state.Function = entry.Index;
        state.ActiveSegment = 0;
        state.Segment = state.Stack[0];
    }

    internal static string StackOverflowMessage(ExecutionState state) => $"stack overflow (call depth limit {state.MaxDepth} exceeded)";

    /// <remarks>Not marked AggressiveOptimization: that would exclude the loop from ReadyToRun
    /// precompilation and JIT-compile it at every start (about 9 ms); the ReadyToRun code is as fast.</remarks>
    /// <summary>Runs <paramref name="code"/> from instruction <paramref name="instruction"/> on the
    /// frame at slot <paramref name="frameSlot"/> of the active segment, its operand stack's first free
    /// slot at <paramref name="topSlot"/>, until the activation returns with no more frames saved
    /// than <see cref="ExecutionState.BaseFrameCount"/>. The caller has prepared <paramref name="code"/>
    /// (<see cref="FunctionCode.Prepare"/>: a call here would make the loop's cursors start in other registers).</summary>
    private static Value Execute(ExecutionState state, FunctionCode code, int instruction, int frameSlot, int topSlot)
    {
        // Only the five cursors used by nearly every instruction are locals, so the JIT can give
        // each a callee-saved register; everything a call or a slow path needs lives in `state`.
        ref Value s0 = ref MemoryMarshal.GetArrayDataReference(state.Segment);
        ref Instr pc = ref Unsafe.Add(ref code.FirstInstruction, instruction);
        ref Value consts = ref code.FirstConstant;
        ref Value frame = ref Unsafe.Add(ref s0, frameSlot);
        ref Value top = ref Unsafe.Add(ref s0, topSlot);
        string? error;

        while (true)
        {
            switch (pc.Op)
            {
                case Op.LoadFast:
                    top = Unsafe.Add(ref frame, pc.Arg);
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;

                case Op.StoreFast:
                    top = ref Unsafe.Add(ref top, -1);
                    Unsafe.Add(ref frame, pc.Arg) = top;
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;

                case Op.LoadConst:
                    top = Unsafe.Add(ref consts, pc.Arg);
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;

                case Op.LoadGlobal:
                {
                    Value value = state.Globals[pc.Arg];
                    if (value.Kind == ValueKind.Unassigned)
                        throw Error(state, ref pc, 0, UnassignedMessage(state, pc.Arg));
                    top = value;
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.StoreGlobal:
                    top = ref Unsafe.Add(ref top, -1);
                    state.Globals[pc.Arg] = top;
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;

                case Op.PopTop:
                    top = ref Unsafe.Add(ref top, -1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;

                case Op.DupTop:
                    top = Unsafe.Add(ref top, -1);
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;

                case Op.RotTwo:
                {
                    Value upper = Unsafe.Add(ref top, -1);
                    Unsafe.Add(ref top, -1) = Unsafe.Add(ref top, -2);
                    Unsafe.Add(ref top, -2) = upper;
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.BinaryAdd:
                {
                    ApplyInPlace<AddOp>(state, ref Unsafe.Add(ref top, -2), Unsafe.Add(ref top, -1), ref pc, 0, ref top);
                    top = ref Unsafe.Add(ref top, -1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.BinarySubtract:
                {
                    ApplyInPlace<SubtractOp>(state, ref Unsafe.Add(ref top, -2), Unsafe.Add(ref top, -1), ref pc, 0, ref top);
                    top = ref Unsafe.Add(ref top, -1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.BinaryMultiply:
                {
                    ApplyInPlace<MultiplyOp>(state, ref Unsafe.Add(ref top, -2), Unsafe.Add(ref top, -1), ref pc, 0, ref top);
                    top = ref Unsafe.Add(ref top, -1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.BinaryDivide:
                {
                    ApplyInPlace<DivideOp>(state, ref Unsafe.Add(ref top, -2), Unsafe.Add(ref top, -1), ref pc, 0, ref top);
                    top = ref Unsafe.Add(ref top, -1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.BinaryModulo:
                {
                    ApplyInPlace<ModuloOp>(state, ref Unsafe.Add(ref top, -2), Unsafe.Add(ref top, -1), ref pc, 0, ref top);
                    top = ref Unsafe.Add(ref top, -1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.UnaryNegative:
                    if ((error = Operations.Negate(ref Unsafe.Add(ref top, -1))) is not null)
                        throw Error(state, ref pc, 0, error);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;

                case Op.UnaryNot:
                    if ((error = Operations.Not(ref Unsafe.Add(ref top, -1))) is not null)
                        throw Error(state, ref pc, 0, error);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;

                case Op.CompareOp:
                {
                    ref Value a = ref Unsafe.Add(ref top, -2);
                    ref Value b = ref Unsafe.Add(ref top, -1);
                    var kind = (CompareKind)pc.Arg;
                    if (!FastCompare(kind, a, b, out bool result)) result = SlowCompare(state, kind, a, b, ref pc, 0);
                    a = Value.Bool(result);
                    top = ref b;
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.Jump:
                    if (pc.Arg <= 0 && --state.StepsLeft < 0) OutOfSteps(state, ref pc);
                    pc = ref Unsafe.Add(ref pc, pc.Arg);
                    continue;

                case Op.PopJumpIfFalse:
                case Op.PopJumpIfTrue:
                {
                    top = ref Unsafe.Add(ref top, -1);
                    if (top.Kind != ValueKind.Bool) throw Error(state, ref pc, 0, Operations.ConditionError(top));
                    bool jumpWhen = pc.Op == Op.PopJumpIfTrue;
                    int distance = (top.Bits != 0) == jumpWhen ? pc.Arg : 1;
                    if (distance <= 0 && --state.StepsLeft < 0) OutOfSteps(state, ref pc);
                    pc = ref Unsafe.Add(ref pc, distance);
                    continue;
                }

                case Op.JumpIfFalseOrPop:
                case Op.JumpIfTrueOrPop:
                {
                    ref Value c = ref Unsafe.Add(ref top, -1);
                    bool isAnd = pc.Op == Op.JumpIfFalseOrPop;
                    if (c.Kind != ValueKind.Bool)
                        throw Error(state, ref pc, 0, Operations.BoolOperandError(isAnd ? BoolOperator.And : BoolOperator.Or, c));
                    if ((c.Bits != 0) != isAnd)
                    {
                        pc = ref Unsafe.Add(ref pc, pc.Arg);
                    }
                    else
                    {
                        top = ref c;
                        pc = ref Unsafe.Add(ref pc, 1);
                    }
                    continue;
                }

                case Op.RequireBool:
                {
                    ref Value c = ref Unsafe.Add(ref top, -1);
                    if (c.Kind != ValueKind.Bool)
                        throw Error(state, ref pc, 0, Operations.BoolOperandError((BoolOperator)pc.Arg, c));
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.CallFunction:
                case Op.TieredCall:
                {
                    if (--state.StepsLeft < 0) OutOfSteps(state, ref pc);
                    FunctionCode callee = state.Code[pc.Arg];
                    int frameCount = state.FrameCount;
                    if (frameCount >= state.CallLimit) throw Error(state, ref pc, 0, StackOverflowMessage(state));
                    if (frameCount == state.Frames.Length) state.Frames = GrowFrames(state.Frames);
                    ref Value args = ref Unsafe.Add(ref top, -callee.ParamCount);
                    ref CallFrame saved = ref state.Frames[frameCount];
                    state.FrameCount = frameCount + 1;
                    saved.Function = state.Function;
                    saved.ResumeAt = pc.Index + 1;
                    saved.FrameBase = SlotIndex(state, ref frame);
                    saved.StackTop = SlotIndex(state, ref args);
                    saved.Segment = state.ActiveSegment;
                    if (saved.StackTop + callee.FrameSize > state.Segment.Length)
                        args = ref EnterNextSegment(state, saved.StackTop, callee);
                    frame = ref args;
                    top = ref Unsafe.Add(ref frame, callee.ParamCount);
                    for (int i = callee.LocalCount - callee.ParamCount; i > 0; i--)
                    {
                        top = default;
                        top = ref Unsafe.Add(ref top, 1);
                    }
                    state.Function = callee.Index;
                    if (pc.Op == Op.TieredCall)
                    {
                        var jit = state.Jit!;
                        jit.Profiles[callee.Index].SawArguments(MemoryMarshal.CreateReadOnlySpan(ref frame, callee.ParamCount));
                        if (jit.EntryForCall(callee.Index) is var compiled && compiled != 0)
                        {
                            // The callee runs compiled on the frame just set up; its result is in local 0.
                            jit.Enter(state, compiled, ref frame);
                            top = ref Unsafe.Add(ref frame, 1);
                            goto case Op.TieredReturn;
                        }
                    }
                    // A callee not yet prepared starts with Op.Prepare: no check here.
                    pc = ref callee.FirstInstruction;
                    consts = ref callee.FirstConstant;
                    continue;
                }

                case Op.Prepare:
                {
                    // The first call of a block (in any run): prepare it and start it (see FunctionCode).
                    var block = state.Code[state.Function];
                    block.Prepare();
                    pc = ref block.FirstInstruction;
                    consts = ref block.FirstConstant;
                    continue;
                }

                // ---- The tiered mode's loop back-edges: count, and move a hot loop into compiled code. ----

                case Op.LoopJump:
                case Op.LoopJumpIfFalse:
                case Op.LoopJumpIfTrue:
                {
                    if (pc.Op != Op.LoopJump)
                    {
                        top = ref Unsafe.Add(ref top, -1);
                        if (top.Kind != ValueKind.Bool) throw Error(state, ref pc, 0, Operations.ConditionError(top));
                        bool jumps = (top.Bits != 0) == (pc.Op == Op.LoopJumpIfTrue);
                        state.Jit!.Profiles[state.Function].SawBranch(pc.Index, jumps);
                        if (!jumps)
                        {
                            pc = ref Unsafe.Add(ref pc, 1);
                            continue;
                        }
                    }
                    if (--state.StepsLeft < 0) OutOfSteps(state, ref pc);
                    int header = pc.Index + pc.Arg;
                    if (state.Jit!.TryOnStackReplacement(state, state.Function, header, ref frame))
                    {
                        // On-stack replacement: compiled code continued this activation at the loop
                        // header, on this very frame, and returned from it. (Compiled code refuses
                        // the entry when the frame holds kinds it did not speculate on: then the
                        // loop goes on here.)
                        top = ref Unsafe.Add(ref frame, 1);
                        goto case Op.TieredReturn;
                    }
                    pc = ref Unsafe.Add(ref pc, pc.Arg);
                    continue;
                }

                case Op.ProfiledJumpIfFalse:
                case Op.ProfiledJumpIfTrue:
                {
                    top = ref Unsafe.Add(ref top, -1);
                    if (top.Kind != ValueKind.Bool) throw Error(state, ref pc, 0, Operations.ConditionError(top));
                    bool jumps = (top.Bits != 0) == (pc.Op == Op.ProfiledJumpIfTrue);
                    state.Jit!.Profiles[state.Function].SawBranch(pc.Index, jumps);
                    pc = ref Unsafe.Add(ref pc, jumps ? pc.Arg : 1);
                    continue;
                }

                case Op.ProfiledLoadGlobal:
                {
                    Value value = state.Globals[pc.Arg];
                    if (value.Kind == ValueKind.Unassigned)
                        throw Error(state, ref pc, 0, UnassignedMessage(state, pc.Arg));
                    state.Jit!.Profiles[state.Function].SawValue(pc.Index, value.Kind);
                    top = value;
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.TieredReturn:
                    // The result's kind, for the call site it returns to (interpreted or compiled).
                    if (state.FrameCount > state.BaseFrameCount)
                    {
                        ref CallFrame caller = ref state.Frames[state.FrameCount - 1];
                        state.Jit!.Profiles[caller.Function].SawValue(caller.ResumeAt - 1, Unsafe.Add(ref top, -1).Kind);
                    }
                    goto case Op.ReturnValue;

                case Op.ReturnValue:
                {
                    Value result = Unsafe.Add(ref top, -1);
                    if (state.FrameCount == state.BaseFrameCount) return result;
                    ref CallFrame saved = ref state.Frames[--state.FrameCount];
                    FunctionCode caller = state.Code[saved.Function];
                    state.Function = saved.Function;
                    // The caller ran in this loop, so it is prepared.
                    pc = ref Unsafe.Add(ref caller.FirstInstruction, saved.ResumeAt);
                    consts = ref caller.FirstConstant;
                    if (saved.Segment != state.ActiveSegment)
                    {
                        state.ActiveSegment = saved.Segment;
                        state.Segment = state.Stack[saved.Segment];
                    }
                    ref Value s = ref MemoryMarshal.GetArrayDataReference(state.Segment);
                    frame = ref Unsafe.Add(ref s, saved.FrameBase);
                    top = ref Unsafe.Add(ref s, saved.StackTop);
                    top = result;
                    top = ref Unsafe.Add(ref top, 1);
                    continue;
                }

                case Op.CallBuiltin:
                {
                    var (id, argc) = BuiltinInfo.DecodeCall(pc.Arg);
                    state.ActiveTop = SlotIndex(state, ref top);
                    ref Value args = ref Unsafe.Add(ref top, -argc);
                    if ((error = BuiltinFunctions.Call((BuiltinId)id, MemoryMarshal.CreateReadOnlySpan(ref args, argc), state, out Value result)) is not null)
                        throw Error(state, ref pc, 0, error);
                    args = result;
                    top = ref Unsafe.Add(ref args, 1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.LocalLocalAdd:
                    // Operands held by locals and constants: a collection cannot lose them.
                    top = Apply<AddOp>(state, Local(ref frame, ref pc, 0), Local(ref frame, ref pc, 1), ref pc, 2, ref top);
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 3);
                    continue;

                case Op.LocalLocalSubtract:
                    // Operands held by locals and constants: a collection cannot lose them.
                    top = Apply<SubtractOp>(state, Local(ref frame, ref pc, 0), Local(ref frame, ref pc, 1), ref pc, 2, ref top);
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 3);
                    continue;

                case Op.LocalLocalMultiply:
                    // Operands held by locals and constants: a collection cannot lose them.
                    top = Apply<MultiplyOp>(state, Local(ref frame, ref pc, 0), Local(ref frame, ref pc, 1), ref pc, 2, ref top);
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 3);
                    continue;

                case Op.ConstLocalMultiply:
                    // Operands held by locals and constants: a collection cannot lose them.
                    top = Apply<MultiplyOp>(state, Constant(ref consts, ref pc, 0), Local(ref frame, ref pc, 1), ref pc, 2, ref top);
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 3);
                    continue;

                case Op.LoadFastAddStore:
                    top = ref Unsafe.Add(ref top, -1);
                    Local(ref frame, ref pc, 2) = Apply<AddOp>(state, top, Local(ref frame, ref pc, 0), ref pc, 1, ref Unsafe.Add(ref top, 1));
                    pc = ref Unsafe.Add(ref pc, 3);
                    continue;

                case Op.CallSqrt:
                {
                    ref Value x = ref Unsafe.Add(ref top, -1);
                    if (x.Kind == ValueKind.Float) x = Value.Float(Math.Sqrt(x.AsFloat));
                    else if (x.Kind == ValueKind.Int) x = Value.Float(Math.Sqrt(x.Bits));
                    else goto case Op.CallBuiltin; // the builtin's own type error
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                case Op.PrintExpr:
                {
                    top = ref Unsafe.Add(ref top, -1);
                    PrintExpression(state, top);
                    pc = ref Unsafe.Add(ref pc, 1);
                    continue;
                }

                // ---- Superinstructions (Op.cs names the sequence each stands for). ----

                case Op.LoadFastLoadConst:
                    top = Unsafe.Add(ref frame, pc.Arg);
                    Unsafe.Add(ref top, 1) = Unsafe.Add(ref consts, Unsafe.Add(ref pc, 1).Arg);
                    top = ref Unsafe.Add(ref top, 2);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;

                case Op.LoadFastLoadFast:
                    top = Unsafe.Add(ref frame, pc.Arg);
                    Unsafe.Add(ref top, 1) = Unsafe.Add(ref frame, Unsafe.Add(ref pc, 1).Arg);
                    top = ref Unsafe.Add(ref top, 2);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;

                case Op.StoreFastLoadFast:
                {
                    ref Value slot = ref Unsafe.Add(ref top, -1);
                    Unsafe.Add(ref frame, pc.Arg) = slot;
                    slot = Unsafe.Add(ref frame, Unsafe.Add(ref pc, 1).Arg);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;
                }

                case Op.LoadGlobalLoadConst:
                {
                    Value value = state.Globals[pc.Arg];
                    if (value.Kind == ValueKind.Unassigned)
                        throw Error(state, ref pc, 0, UnassignedMessage(state, pc.Arg));
                    top = value;
                    Unsafe.Add(ref top, 1) = Unsafe.Add(ref consts, Unsafe.Add(ref pc, 1).Arg);
                    top = ref Unsafe.Add(ref top, 2);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;
                }

                case Op.LoadFastConstAdd:
                    // Operands held by locals and constants: a collection cannot lose them.
                    top = Apply<AddOp>(state, Local(ref frame, ref pc, 0), Constant(ref consts, ref pc, 1), ref pc, 2, ref top);
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 3);
                    continue;

                case Op.LoadFastConstSubtract:
                    // Operands held by locals and constants: a collection cannot lose them.
                    top = Apply<SubtractOp>(state, Local(ref frame, ref pc, 0), Constant(ref consts, ref pc, 1), ref pc, 2, ref top);
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 3);
                    continue;

                case Op.LoadFastAdd:
                {
                    ApplyInPlace<AddOp>(state, ref Unsafe.Add(ref top, -1), Local(ref frame, ref pc, 0), ref pc, 1, ref top);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;
                }

                case Op.LoadFastSubtract:
                {
                    ApplyInPlace<SubtractOp>(state, ref Unsafe.Add(ref top, -1), Local(ref frame, ref pc, 0), ref pc, 1, ref top);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;
                }

                case Op.LoadFastMultiply:
                {
                    ApplyInPlace<MultiplyOp>(state, ref Unsafe.Add(ref top, -1), Local(ref frame, ref pc, 0), ref pc, 1, ref top);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;
                }

                case Op.LoadConstAdd:
                {
                    ApplyInPlace<AddOp>(state, ref Unsafe.Add(ref top, -1), Constant(ref consts, ref pc, 0), ref pc, 1, ref top);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;
                }

                case Op.LoadConstSubtract:
                {
                    ApplyInPlace<SubtractOp>(state, ref Unsafe.Add(ref top, -1), Constant(ref consts, ref pc, 0), ref pc, 1, ref top);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;
                }

                case Op.LoadConstMultiply:
                {
                    ApplyInPlace<MultiplyOp>(state, ref Unsafe.Add(ref top, -1), Constant(ref consts, ref pc, 0), ref pc, 1, ref top);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;
                }

                case Op.LoadConstDivide:
                {
                    ApplyInPlace<DivideOp>(state, ref Unsafe.Add(ref top, -1), Constant(ref consts, ref pc, 0), ref pc, 1, ref top);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;
                }

                case Op.LoadConstModulo:
                {
                    ApplyInPlace<ModuloOp>(state, ref Unsafe.Add(ref top, -1), Constant(ref consts, ref pc, 0), ref pc, 1, ref top);
                    pc = ref Unsafe.Add(ref pc, 2);
                    continue;
                }

                case Op.CompareJumpIfFalse:
                case Op.CompareJumpIfTrue:
                {
                    Value a = Unsafe.Add(ref top, -2);
                    Value b = Unsafe.Add(ref top, -1);
                    var kind = (CompareKind)pc.Arg;
                    if (!FastCompare(kind, a, b, out bool result)) result = SlowCompare(state, kind, a, b, ref pc, 0);
                    top = ref Unsafe.Add(ref top, -2);
                    bool jumpWhen = pc.Op == Op.CompareJumpIfTrue;
                    pc = ref Unsafe.Add(ref pc, 1);
                    int distance = result == jumpWhen ? pc.Arg : 1;
                    if (distance <= 0 && --state.StepsLeft < 0) OutOfSteps(state, ref pc);
                    pc = ref Unsafe.Add(ref pc, distance);
                    continue;
                }

                case Op.LoadFastConstCompareJumpIfFalse:
                case Op.LoadFastConstCompareJumpIfTrue:
                {
                    Value a = Unsafe.Add(ref frame, pc.Arg);
                    Value b = Unsafe.Add(ref consts, Unsafe.Add(ref pc, 1).Arg);
                    var kind = (CompareKind)Unsafe.Add(ref pc, 2).Arg;
                    if (!FastCompare(kind, a, b, out bool result)) result = SlowCompare(state, kind, a, b, ref pc, 2);
                    bool jumpWhen = pc.Op == Op.LoadFastConstCompareJumpIfTrue;
                    pc = ref Unsafe.Add(ref pc, 3);
                    int distance = result == jumpWhen ? pc.Arg : 1;
                    if (distance <= 0 && --state.StepsLeft < 0) OutOfSteps(state, ref pc);
                    pc = ref Unsafe.Add(ref pc, distance);
                    continue;
                }

                case Op.LocalLocalAddStore:
                    Local(ref frame, ref pc, 3) = Apply<AddOp>(state, Local(ref frame, ref pc, 0), Local(ref frame, ref pc, 1), ref pc, 2, ref top);
                    pc = ref Unsafe.Add(ref pc, 4);
                    continue;

                case Op.LocalLocalSubtractStore:
                    Local(ref frame, ref pc, 3) = Apply<SubtractOp>(state, Local(ref frame, ref pc, 0), Local(ref frame, ref pc, 1), ref pc, 2, ref top);
                    pc = ref Unsafe.Add(ref pc, 4);
                    continue;

                case Op.LocalLocalMultiplyStore:
                    Local(ref frame, ref pc, 3) = Apply<MultiplyOp>(state, Local(ref frame, ref pc, 0), Local(ref frame, ref pc, 1), ref pc, 2, ref top);
                    pc = ref Unsafe.Add(ref pc, 4);
                    continue;

                case Op.LocalConstAddStore:
                    Local(ref frame, ref pc, 3) = Apply<AddOp>(state, Local(ref frame, ref pc, 0), Constant(ref consts, ref pc, 1), ref pc, 2, ref top);
                    pc = ref Unsafe.Add(ref pc, 4);
                    continue;

                case Op.LocalConstSubtractStore:
                    Local(ref frame, ref pc, 3) = Apply<SubtractOp>(state, Local(ref frame, ref pc, 0), Constant(ref consts, ref pc, 1), ref pc, 2, ref top);
                    pc = ref Unsafe.Add(ref pc, 4);
                    continue;

                case Op.LocalConstMultiplyStore:
                    Local(ref frame, ref pc, 3) = Apply<MultiplyOp>(state, Local(ref frame, ref pc, 0), Constant(ref consts, ref pc, 1), ref pc, 2, ref top);
                    pc = ref Unsafe.Add(ref pc, 4);
                    continue;

                case Op.LocalConstDivideStore:
                    Local(ref frame, ref pc, 3) = Apply<DivideOp>(state, Local(ref frame, ref pc, 0), Constant(ref consts, ref pc, 1), ref pc, 2, ref top);
                    pc = ref Unsafe.Add(ref pc, 4);
                    continue;

                case Op.LocalConstModuloStore:
                    Local(ref frame, ref pc, 3) = Apply<ModuloOp>(state, Local(ref frame, ref pc, 0), Constant(ref consts, ref pc, 1), ref pc, 2, ref top);
                    pc = ref Unsafe.Add(ref pc, 4);
                    continue;

                case Op.LoadConstCompareJumpIfFalse:
                case Op.LoadConstCompareJumpIfTrue:
                {
                    Value a = Unsafe.Add(ref top, -1);
                    Value b = Unsafe.Add(ref consts, pc.Arg);
                    var kind = (CompareKind)Unsafe.Add(ref pc, 1).Arg;
                    if (!FastCompare(kind, a, b, out bool result)) result = SlowCompare(state, kind, a, b, ref pc, 1);
                    top = ref Unsafe.Add(ref top, -1);
                    bool jumpWhen = pc.Op == Op.LoadConstCompareJumpIfTrue;
                    pc = ref Unsafe.Add(ref pc, 2);
                    int distance = result == jumpWhen ? pc.Arg : 1;
                    if (distance <= 0 && --state.StepsLeft < 0) OutOfSteps(state, ref pc);
                    pc = ref Unsafe.Add(ref pc, distance);
                    continue;
                }

                case Op.LoadFastReturn:
                    // Push the local and take the RETURN_VALUE that follows.
                    top = Unsafe.Add(ref frame, pc.Arg);
                    top = ref Unsafe.Add(ref top, 1);
                    pc = ref Unsafe.Add(ref pc, 1);
                    goto case Op.ReturnValue;

                default:
                    // Unreachable for verified code: the verifier admits only opcodes of the table,
                    // and a test checks this switch handles every one of them.
                    throw new InvalidOperationException($"the interpreter has no handler for {pc.Op}");
            }
        }
    }

    // ---- Fast paths: int and float operands, inline. They return false for anything else, and
    // for an int result that overflows; the slow path (Operations) then computes the result or the
    // error, so the fast paths never decide an error themselves. ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FastAdd(ref Value a, Value b)
    {
        if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int)
        {
            long x = a.Bits, y = b.Bits, r = unchecked(x + y);
            if (((x ^ r) & (y ^ r)) < 0) return false;
            a = Value.Int(r);
            return true;
        }
        if (a.Kind == ValueKind.Float && b.Kind == ValueKind.Float)
        {
            a = Value.Float(a.AsFloat + b.AsFloat);
            return true;
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FastSubtract(ref Value a, Value b)
    {
        if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int)
        {
            long x = a.Bits, y = b.Bits, r = unchecked(x - y);
            if (((x ^ y) & (x ^ r)) < 0) return false;
            a = Value.Int(r);
            return true;
        }
        if (a.Kind == ValueKind.Float && b.Kind == ValueKind.Float)
        {
            a = Value.Float(a.AsFloat - b.AsFloat);
            return true;
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FastMultiply(ref Value a, Value b)
    {
        if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int)
        {
            long high = Math.BigMul(a.Bits, b.Bits, out long low);
            if (high != low >> 63) return false;
            a = Value.Int(low);
            return true;
        }
        if (a.Kind == ValueKind.Float && b.Kind == ValueKind.Float)
        {
            a = Value.Float(a.AsFloat * b.AsFloat);
            return true;
        }
        return false;
    }

    /// <summary>Ints with a divisor other than 0 and -1 cannot fail; floats follow IEEE.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FastDivide(ref Value a, Value b)
    {
        if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int && (ulong)(b.Bits + 1) > 1)
        {
            a = Value.Int(a.Bits / b.Bits);
            return true;
        }
        if (a.Kind == ValueKind.Float && b.Kind == ValueKind.Float)
        {
            a = Value.Float(a.AsFloat / b.AsFloat);
            return true;
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FastModulo(ref Value a, Value b)
    {
        if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int && (ulong)(b.Bits + 1) > 1)
        {
            a = Value.Int(a.Bits % b.Bits);
            return true;
        }
        return false;
    }

    /// <summary>
    /// Which outcomes make each comparison true, one nibble per <see cref="CompareKind"/> (0 to 5):
    /// bit 0 "less", bit 1 "equal", bit 2 "greater", bit 3 "unordered" (a NaN). Looking the answer
    /// up keeps every inlined comparison free of a switch and its jump table.
    /// </summary>
    private const int CompareTruthTable = 0x64D231;

    /// <summary>Two ints, or two floats (IEEE: any comparison with NaN is false except !=).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FastCompare(CompareKind kind, Value a, Value b, out bool result)
    {
        int outcome;
        if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int)
        {
            long x = a.Bits, y = b.Bits;
            outcome = (x >= y ? 1 : 0) + (x > y ? 1 : 0);
        }
        else if (a.Kind == ValueKind.Float && b.Kind == ValueKind.Float)
        {
            double x = a.AsFloat, y = b.AsFloat;
            outcome = x < y ? 0 : x == y ? 1 : x > y ? 2 : 3;
        }
        else
        {
            result = false;
            return false;
        }
        result = ((CompareTruthTable >> ((int)kind * 4 + outcome)) & 1) != 0;
        return true;
    }

    /// <summary>The local named by the argument of the instruction <paramref name="k"/> after <paramref name="pc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref Value Local(ref Value frame, ref Instr pc, int k) => ref Unsafe.Add(ref frame, Unsafe.Add(ref pc, k).Arg);

    /// <summary>The constant named by the argument of the instruction <paramref name="k"/> after <paramref name="pc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref Value Constant(ref Value consts, ref Instr pc, int k) => ref Unsafe.Add(ref consts, Unsafe.Add(ref pc, k).Arg);

    /// <summary>An arithmetic operator as the handlers use it: the inline fast path, and the opcode
    /// whose general semantics (<see cref="Operations"/>) apply otherwise.</summary>
    private interface IArithmetic
    {
        static abstract OpCode Code { get; }
        static abstract bool TryFast(ref Value a, Value b);
    }

    private readonly struct AddOp : IArithmetic
    {
        public static OpCode Code => OpCode.BinaryAdd;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool TryFast(ref Value a, Value b) => FastAdd(ref a, b);
    }

    private readonly struct SubtractOp : IArithmetic
    {
        public static OpCode Code => OpCode.BinarySubtract;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool TryFast(ref Value a, Value b) => FastSubtract(ref a, b);
    }

    private readonly struct MultiplyOp : IArithmetic
    {
        public static OpCode Code => OpCode.BinaryMultiply;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool TryFast(ref Value a, Value b) => FastMultiply(ref a, b);
    }

    private readonly struct DivideOp : IArithmetic
    {
        public static OpCode Code => OpCode.BinaryDivide;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool TryFast(ref Value a, Value b) => FastDivide(ref a, b);
    }

    private readonly struct ModuloOp : IArithmetic
    {
        public static OpCode Code => OpCode.BinaryModulo;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool TryFast(ref Value a, Value b) => FastModulo(ref a, b);
    }

    /// <summary><c>a op b</c>: the fast path inline, else the general path, whose error is raised at the
    /// instruction <paramref name="offset"/> after <paramref name="pc"/> (the operator's own, inside a
    /// superinstruction). Every live value is below <paramref name="top"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Value Apply<TOp>(ExecutionState state, Value a, Value b, ref Instr pc, int offset, ref Value top) where TOp : IArithmetic
    {
        if (!TOp.TryFast(ref a, b)) a = SlowArithmetic(state, TOp.Code, a, b, ref pc, offset, ref top);
        return a;
    }

    /// <summary><see cref="Apply{TOp}"/> on a stack slot, leaving the result in it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyInPlace<TOp>(ExecutionState state, ref Value a, Value b, ref Instr pc, int offset, ref Value top) where TOp : IArithmetic
    {
        if (!TOp.TryFast(ref a, b)) a = SlowArithmetic(state, TOp.Code, a, b, ref pc, offset, ref top);
    }

    /// <summary>The general arithmetic of <see cref="Operations"/>: the result, or its error raised at
    /// the instruction <paramref name="offset"/> after <paramref name="pc"/>. Every live value is below
    /// <paramref name="top"/>. Operands travel by value, so the handlers' copies stay in registers.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Value SlowArithmetic(ExecutionState state, OpCode op, Value a, Value b, ref Instr pc, int offset, ref Value top)
    {
        state.ActiveTop = SlotIndex(state, ref top);
        string? error = Operations.Arithmetic(op, ref a, b, state);
        if (error is not null) throw Error(state, ref pc, offset, error);
        return a;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool SlowCompare(ExecutionState state, CompareKind kind, Value a, Value b, ref Instr pc, int offset)
    {
        string? error = Operations.Compare(kind, ref a, b, state.Strings);
        if (error is not null) throw Error(state, ref pc, offset, error);
        return a.AsBool;
    }

    /// <summary>The index of <paramref name="slot"/> in the active stack segment.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SlotIndex(ExecutionState state, ref Value slot) =>
        (int)((nuint)Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(state.Segment), ref slot) / (nuint)Unsafe.SizeOf<Value>());

    /// <summary>Frame records are pinned: compiled code writes them too.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static CallFrame[] GrowFrames(CallFrame[] frames)
    {
        var grown = GC.AllocateArray<CallFrame>(frames.Length * 2, pinned: true);
        frames.CopyTo(grown, 0);
        return grown;
    }

    /// <summary>PRINT_EXPR: a statement's value is printed unless it is none.</summary>
    internal static void PrintExpression(ExecutionState state, Value value)
    {
        if (value.Kind != ValueKind.None)
            state.Output.Write(ValueText.Format(value, state.Strings) + "\n");
    }

    /// <summary>The callee's frame would run past the active segment: start it at the bottom of the
    /// next one, copying the arguments there. Returns the new frame's first slot.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ref Value EnterNextSegment(ExecutionState state, int argumentsAt, FunctionCode callee)
    {
        var next = state.Stack.Next(state.ActiveSegment, callee.FrameSize);
        state.Segment.AsSpan(argumentsAt, callee.ParamCount).CopyTo(next);
        state.ActiveSegment++;
        state.Segment = next;
        return ref MemoryMarshal.GetArrayDataReference(next);
    }

    internal static string UnassignedMessage(ExecutionState state, int global) =>
        $"name '{state.Module.Image.Globals[global]}' is used before it is assigned";

    /// <summary>A step (a call, or a loop back-edge taken at <paramref name="pc"/>) found the
    /// granted steps used up: the budget grants more, or the run stops here.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OutOfSteps(ExecutionState state, ref Instr pc)
    {
        if (state.Budget.Renew(ref state.StepsLeft) is { } message) throw Error(state, ref pc, 0, message);
    }

    /// <summary>Builds the run-time error for the instruction <paramref name="offset"/> places after
    /// <paramref name="pc"/> (the failing part of a superinstruction), with every active frame's trace.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MiniVmRuntimeException Error(ExecutionState state, ref Instr pc, int offset, string message) =>
        RuntimeError(state, state.Code[state.Function], pc.Index + offset, state.FrameCount, message);

    internal static MiniVmRuntimeException RuntimeError(ExecutionState state, FunctionCode fn, int ip, int frameCount, string message)
    {
        string source = state.Module.Image.SourceName;
        var trace = new List<MiniVmStackFrame>(Math.Min(frameCount + 1, 4096))
        {
            new(fn.Name, source, fn.LineAt(ip)),
        };
        for (int i = frameCount - 1; i >= 0; i--)
        {
            ref CallFrame frame = ref state.Frames[i];
            var caller = state.Code[frame.Function];
            trace.Add(new MiniVmStackFrame(caller.Name, source, caller.LineAt(frame.ResumeAt - 1)));
        }
        return new MiniVmRuntimeException(message, trace);
    }
}
