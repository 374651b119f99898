using Iced.Intel;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;
using MiniVm.Jit.Calls;
using MiniVm.Values;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>The code for each opcode: the dispatch, and the simple ones (the other parts of <see cref="FunctionCompiler"/> hold the rest).</summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>Emits instruction <paramref name="i"/> (and any it folds in); returns the last index consumed.</summary>
    private int EmitInstruction(int i)
    {
        var instruction = _code[i];
        int arg = instruction.Arg;
        switch (instruction.Info.Code)
        {
            case OpCode.LoadFast:
                // A local the analysis knows the value of is that value: `b + 4` with b = 3 is 7.
                Push(_kinds.TryConstantLocal(i, arg, out var known) ? Immediate(known) : Operand.Local(arg));
                return i;
            case OpCode.LoadConst:
                Push(Operand.Const(arg));
                return i;
            case OpCode.LoadGlobal:
            {
                var global = Operand.Global(arg);
                var proven = _kinds.Global(i, arg) & KindSet.Any;
                if (_speculation?.Value(i, proven) is { } bet && bet != proven)
                {
                    // A bet on the kind (which also rules out "unassigned": the interpreter raises that).
                    CheckKind(KindByte(global), bet, DeoptExit(i, DeoptReason.GlobalKind, arg, bet));
                    Push(global);
                    return i;
                }
                // The kind analysis knows where a global is assigned already: after a store or an
                // earlier load of it on every path here. There the check would never fire.
                if ((_kinds.Global(i, arg) & KindSet.Unassigned) == 0)
                {
                    Push(global);
                    return i;
                }
                var unassigned = _asm.CreateLabel();
                _asm.cmp(KindByte(global), (int)ValueKind.Unassigned);
                _asm.je(unassigned);
                int at = i;
                OutOfLine(() =>
                {
                    Bind(ref unassigned);
                    RaiseError(RuntimeHelpers.ErrorKind.UnassignedGlobal, global, arg, at);
                });
                Push(global);
                return i;
            }
            case OpCode.StoreFast:
            {
                var value = Pop();
                var local = Operand.Local(arg);
                FlushReadsOf(local);
                Copy(value, local);
                return i;
            }
            case OpCode.StoreGlobal:
            {
                var value = Pop();
                var global = Operand.Global(arg);
                FlushReadsOf(global);
                Copy(value, global);
                return i;
            }
            case OpCode.PopTop:
                Pop();
                return i;
            case OpCode.DupTop:
            {
                var top = _stack.Top;
                if (top.Kind == OperandKind.Slot)
                {
                    Copy(top, Operand.Slot(Depth));
                    Push(Operand.Slot(Depth));
                }
                else
                {
                    Push(top);
                }
                return i;
            }
            case OpCode.RotTwo:
            {
                FlushAll();
                var upper = Operand.Slot(Depth - 1);
                var lower = Operand.Slot(Depth - 2);
                _asm.movups(xmm0, __xmmword_ptr[Address(upper)]);
                _asm.movups(xmm1, __xmmword_ptr[Address(lower)]);
                _asm.movups(__xmmword_ptr[Address(lower)], xmm0);
                _asm.movups(__xmmword_ptr[Address(upper)], xmm1);
                ForgetRegisters();
                return i;
            }
            case OpCode.BinaryAdd:
            case OpCode.BinarySubtract:
            case OpCode.BinaryMultiply:
            case OpCode.BinaryDivide:
            case OpCode.BinaryModulo:
                return EmitArithmetic(i, instruction.Info.Code);
            case OpCode.UnaryNegative:
                EmitNegate(i);
                return i;
            case OpCode.UnaryNot:
                EmitNot(i);
                return i;
            case OpCode.CompareOp:
                return EmitCompare(i, (CompareKind)arg);
            case OpCode.JumpForward:
            case OpCode.JumpAbsolute:
                FlushAll();
                if (_targetIndex[i] <= i || !NothingCompiledBetween(i, _targetIndex[i])) _asm.jmp(JumpTarget(i)); // (else the target is next)
                _stack.Clear();
                return i;
            case OpCode.PopJumpIfFalse:
            case OpCode.PopJumpIfTrue:
                EmitConditionalJump(i, instruction.Info.Code == OpCode.PopJumpIfTrue);
                return i;
            case OpCode.JumpIfFalseOrPop:
            case OpCode.JumpIfTrueOrPop:
                EmitShortCircuit(i, instruction.Info.Code == OpCode.JumpIfFalseOrPop);
                return i;
            case OpCode.RequireBool:
                EmitRequireBool(i, (BoolOperator)arg);
                return i;
            case OpCode.CallFunction:
                EmitCall(i, arg);
                return i;
            case OpCode.CallBuiltin:
                EmitBuiltin(i, arg);
                return i;
            case OpCode.PrintExpr:
            {
                FlushAll();
                var value = Pop();
                var slot = Operand.Slot(Depth);
                Copy(value, slot);
                _asm.mov(rdi, r12);
                _asm.lea(rsi, Address(slot));
                CallHelper(RuntimeHelpers.PrintExpr);
                return i;
            }
            case OpCode.ReturnValue:
            {
                var result = Pop();
                // An inline body whose one return returns a constant passes it on as a constant
                // (the caller writes it to the result slot if it needs it there).
                if (_inline is not null && result.Kind == OperandKind.Const && ReachableReturns().Count == 1)
                {
                    _inline.Constant = ConstantValue(result);
                }
                else
                {
                    // (Whether xmm0 has the result too, a float: the caller of an inline body may take it from there.)
                    bool inXmm0 = _xmm0Holds == result && KindsOf(result) == KindSet.Float;
                    Copy(result, Operand.Local(0)); // frame slot 0, whether or not the code has locals
                    _inline?.Returned(inXmm0);
                }
                EmitReturn(i);
                return i;
            }
            default:
                throw new InvalidOperationException($"the JIT has no code for {instruction.Info.Name}");
        }
    }

    /// <summary>The RETURN_VALUE instructions code is compiled for.</summary>
    private List<int> ReachableReturns()
    {
        var returns = new List<int>();
        for (int i = 0; i < _code.Length; i++)
            if (_code[i].Info.Code == OpCode.ReturnValue && HasCode(i)) returns.Add(i);
        return returns;
    }

    /// <summary>The kinds this code may return (what the analysis proved before each return it compiles).</summary>
    private KindSet ReturnKinds()
    {
        var kinds = KindSet.Empty;
        foreach (int i in ReachableReturns())
        {
            var returned = _kinds.Stack(i, _depth[i] - 1);
            kinds |= returned == KindSet.Empty ? KindSet.Any : returned;
        }
        return kinds;
    }

    /// <summary>RETURN_VALUE <paramref name="i"/>, with the result in local 0: status 0, and leave
    /// (an inline body: on to the code after the call).</summary>
    private void EmitReturn(int i)
    {
        if (_inline is not null)
        {
            // The caller goes on after the call, which is next if nothing after this is compiled.
            if (!NothingCompiledBetween(i, _code.Length)) _asm.jmp(_inline.Return);
        }
        else
        {
            _asm.xor(eax, eax);
            Epilogue();
        }
        _stack.Clear();
        ForgetRegisters();
    }

    /// <summary>Whether no instruction strictly between <paramref name="from"/> and <paramref name="to"/> has code
    /// (unreachable, or cut off by a bet): a jump from one to the other goes to the next instruction.</summary>
    private bool NothingCompiledBetween(int from, int to)
    {
        for (int k = from + 1; k < to; k++)
            if (HasCode(k)) return false;
        return true;
    }
}
