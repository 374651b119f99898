using Iced.Intel;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;
using MiniVm.Jit.Calls;
using MiniVm.Values;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>Comparisons and conditional jumps: compare-and-branch, float comparisons, bool checks.</summary>
internal sealed partial class FunctionCompiler
{
    private static ConditionCode IntCondition(CompareKind kind) => kind switch
    {
        CompareKind.Less => ConditionCode.l,
        CompareKind.LessEqual => ConditionCode.le,
        CompareKind.Equal => ConditionCode.e,
        CompareKind.NotEqual => ConditionCode.ne,
        CompareKind.Greater => ConditionCode.g,
        _ => ConditionCode.ge,
    };

    private static ConditionCode Negated(ConditionCode condition) => condition switch
    {
        ConditionCode.l => ConditionCode.ge,
        ConditionCode.ge => ConditionCode.l,
        ConditionCode.le => ConditionCode.g,
        ConditionCode.g => ConditionCode.le,
        ConditionCode.e => ConditionCode.ne,
        _ => ConditionCode.e,
    };

    private void JumpIf(ConditionCode condition, Label target)
    {
        switch (condition)
        {
            case ConditionCode.l: _asm.jl(target); break;
            case ConditionCode.le: _asm.jle(target); break;
            case ConditionCode.e: _asm.je(target); break;
            case ConditionCode.ne: _asm.jne(target); break;
            case ConditionCode.g: _asm.jg(target); break;
            default: _asm.jge(target); break;
        }
    }

    private void SetIf(ConditionCode condition, AssemblerRegister8 register)
    {
        switch (condition)
        {
            case ConditionCode.l: _asm.setl(register); break;
            case ConditionCode.le: _asm.setle(register); break;
            case ConditionCode.e: _asm.sete(register); break;
            case ConditionCode.ne: _asm.setne(register); break;
            case ConditionCode.g: _asm.setg(register); break;
            default: _asm.setge(register); break;
        }
    }

    /// <summary>
    /// COMPARE_OP, fused with a POP_JUMP_IF_FALSE/TRUE that follows into a compare-and-branch.
    /// Ints inline; floats out of line (NaN compares false except with !=); anything else, and
    /// int against float, through the helper (which compares them exactly, as the interpreter does).
    /// </summary>
    private int EmitCompare(int i, CompareKind kind)
    {
        var b = Pop();
        var a = Pop();
        var next = Next(i);
        // A jump with a bet on its direction is compiled on its own, from the bool in its slot
        // (where a deoptimization exit finds it).
        bool fused = (next is OpCode.PopJumpIfFalse or OpCode.PopJumpIfTrue) && BetOn(i + 1) == BranchBet.Both;
        if (fused) FlushAll(); // both successors start with every value in its slot
        int position = Depth;
        var destination = Operand.Slot(position);
        var slow = _asm.CreateLabel();
        var done = _asm.CreateLabel(); // where the result is known: fall-through of the fused branch
        bool jumpWhen = next == OpCode.PopJumpIfTrue;
        Label target = fused ? JumpTarget(i + 1) : default;
        var condition = IntCondition(kind);
        var aKinds = KindsOf(a);
        var bKinds = KindsOf(b);

        if (aKinds == KindSet.Float && bKinds == KindSet.Float)
        {
            // Proved floats: the comparison cannot fail and needs no slow path.
            EmitFloatCompare(kind, a, b, fused ? target : null, jumpWhen, destination);
            Bind(ref done);
            _raxHolds = fused ? Operand.None : destination;
            if (!fused) Push(destination);
            return fused ? i + 1 : i;
        }
        if (May(aKinds, KindSet.Int) && May(bKinds, KindSet.Int))
        {
            if (!TryCompareInRegisters(a, b))
            {
                bool bInRcx = LoadOperandsAsInts(a, b, slow);
                if (!bInRcx && IsSmallInt(b))
                {
                    _asm.cmp(rax, (int)ConstantValue(b).Bits);
                }
                else
                {
                    if (!bInRcx) LoadInt(b, rcx, slow);
                    _asm.cmp(rax, rcx);
                }
            }
            if (fused)
            {
                BranchIf(jumpWhen ? condition : Negated(condition), i + 1);
            }
            else
            {
                SetIf(condition, al);
                _asm.movzx(eax, al);
                StoreBool(destination);
            }
        }
        else
        {
            _asm.jmp(slow);
        }
        Bind(ref done);
        // Unfused, every path arrives with the bool in rax; fused, the slow path's rax is its answer.
        _raxHolds = fused ? Operand.None : destination;
        _xmm0Holds = Operand.None; // the slow path uses xmm0
        if (!fused) Push(destination);

        int at = i;
        OutOfLine(() =>
        {
            Bind(ref slow);
            var helper = _asm.CreateLabel();
            var haveResult = _asm.CreateLabel();
            if (May(aKinds, KindSet.Float) && May(bKinds, KindSet.Float))
            {
                // Two floats: ucomisd sets CF for "below", ZF for "equal", and all of ZF, PF, CF when unordered.
                if (aKinds != KindSet.Float)
                {
                    _asm.cmp(KindByte(a), (int)ValueKind.Float);
                    _asm.jne(helper);
                }
                if (bKinds != KindSet.Float)
                {
                    _asm.cmp(KindByte(b), (int)ValueKind.Float);
                    _asm.jne(helper);
                }
                LoadNumber(a, xmm0, helper);
                LoadNumber(b, xmm1, helper);
                FloatConditionToAl(kind);
                _asm.movzx(eax, al);
                _asm.jmp(haveResult);
            }
            Bind(ref helper);
            CallBinaryHelper(RuntimeHelpers.Compare, (int)kind, a, b, position, at);
            _asm.test(rax, rax);
            _asm.js(_fail);
            Bind(ref haveResult);
            if (fused)
            {
                _asm.test(eax, eax);
                if (jumpWhen) _asm.jne(target);
                else _asm.je(target);
                _asm.jmp(done);
            }
            else
            {
                StoreBool(destination);
                _asm.jmp(done);
            }
        });
        return fused ? i + 1 : i;
    }

    /// <summary>A promoted variable proved an int against a small int constant or another such
    /// variable: compared where it is (<c>cmp rsi, 20000000</c>), with no copy to rax first.</summary>
    private bool TryCompareInRegisters(Operand a, Operand b)
    {
        if (KindsOf(a) != KindSet.Int || KindsOf(b) != KindSet.Int || !_promotion.TryInt(a, out var left)) return false;
        if (IsSmallInt(b)) _asm.cmp(left, (int)ConstantValue(b).Bits);
        else if (_promotion.TryInt(b, out var right)) _asm.cmp(left, right);
        else return false;
        return true;
    }

    /// <summary>al = the comparison of the doubles in xmm0 and xmm1 (false when either is NaN, except for !=).</summary>
    private void FloatConditionToAl(CompareKind kind)
    {
        switch (kind)
        {
            case CompareKind.Less: _asm.ucomisd(xmm1, xmm0); _asm.seta(al); break;
            case CompareKind.LessEqual: _asm.ucomisd(xmm1, xmm0); _asm.setae(al); break;
            case CompareKind.Greater: _asm.ucomisd(xmm0, xmm1); _asm.seta(al); break;
            case CompareKind.GreaterEqual: _asm.ucomisd(xmm0, xmm1); _asm.setae(al); break;
            case CompareKind.Equal:
                _asm.ucomisd(xmm0, xmm1);
                _asm.sete(al);
                _asm.setnp(cl);
                _asm.and(al, cl);
                break;
            default:
                _asm.ucomisd(xmm0, xmm1);
                _asm.setne(al);
                _asm.setp(cl);
                _asm.or(al, cl);
                break;
        }
    }

    /// <summary>A comparison of two proved floats: a branch to <paramref name="target"/> when it is
    /// <paramref name="jumpWhen"/> (fused with the jump that follows), or the bool stored.</summary>
    private void EmitFloatCompare(CompareKind kind, Operand a, Operand b, Label? target, bool jumpWhen, Operand destination)
    {
        var unused = _asm.CreateLabel();
        LoadFloatOperands(a, b, unused);
        if (target is { } to && kind is CompareKind.Less or CompareKind.LessEqual or CompareKind.Greater or CompareKind.GreaterEqual)
        {
            // "Above" conditions read CF and ZF only, and an unordered compare sets both: NaN is false.
            if (kind is CompareKind.Less or CompareKind.LessEqual) _asm.ucomisd(xmm1, xmm0);
            else _asm.ucomisd(xmm0, xmm1);
            bool orEqual = kind is CompareKind.LessEqual or CompareKind.GreaterEqual;
            if (jumpWhen)
            {
                if (orEqual) _asm.jae(to);
                else _asm.ja(to);
            }
            else
            {
                if (orEqual) _asm.jb(to);
                else _asm.jbe(to);
            }
        }
        else
        {
            FloatConditionToAl(kind);
            if (target is { } branchTo)
            {
                _asm.test(al, al);
                if (jumpWhen) _asm.jne(branchTo);
                else _asm.je(branchTo);
            }
            else
            {
                _asm.movzx(eax, al);
                StoreBool(destination);
            }
        }
        Bind(ref unused); // never jumped to: both operands are proved floats
        _raxHolds = Operand.None;
    }

    private BranchBet BetOn(int jump) => _speculation?.Branch(jump) ?? BranchBet.Both;

    /// <summary>POP_JUMP_IF_FALSE/TRUE on its own: the condition must be a bool.</summary>
    private void EmitConditionalJump(int i, bool jumpWhen)
    {
        if (_kinds.ConstantCondition(i, _depth[i]) is { } known)
        {
            // The analysis knows which way it goes (and took only that way).
            Pop();
            FlushAll();
            if (known == jumpWhen)
            {
                _asm.jmp(JumpTarget(i));
                _stack.Clear();
            }
            return;
        }
        if (BetOn(i) != BranchBet.Both)
        {
            EmitBetOnJump(i, jumpWhen, BetOn(i));
            return;
        }
        var condition = Pop();
        FlushAll();
        if (condition.Kind == OperandKind.Const && ConstantValue(condition).Kind == ValueKind.Bool)
        {
            if (ConstantValue(condition).AsBool == jumpWhen) _asm.jmp(JumpTarget(i));
            return;
        }
        var slot = Operand.Slot(Depth);
        if (condition.Kind == OperandKind.Const) Copy(condition, slot);
        var where = condition.Kind == OperandKind.Const ? slot : condition;
        var notBool = _asm.CreateLabel();
        if (KindsOf(condition) != KindSet.Bool)
        {
            _asm.cmp(KindByte(where), (int)ValueKind.Bool);
            _asm.jne(notBool);
        }
        _asm.cmp(__byte_ptr[Address(where)], 0);
        BranchIf(jumpWhen ? ConditionCode.ne : ConditionCode.e, i);
        int at = i;
        OutOfLine(() =>
        {
            Bind(ref notBool);
            Copy(where, slot);
            RaiseError(RuntimeHelpers.ErrorKind.Condition, slot, 0, at);
        });
    }

    /// <summary>
    /// A conditional jump that only ever went one way: only that way is compiled. The other way
    /// is a deoptimization exit that resumes at the jump itself, with the condition in its slot,
    /// so the interpreter takes the jump as it would have (and raises the error if the condition
    /// is not a bool). Seed 000's <c>test(flag)</c> with <c>flag</c> always true compiles to this.
    /// </summary>
    private void EmitBetOnJump(int i, bool jumpWhen, BranchBet bet)
    {
        FlushAll();
        int position = Depth - 1;
        var slot = Operand.Slot(position);
        bool neverJumps = bet == BranchBet.NeverJumps;
        // The one condition that keeps to the bet: the bool that does not jump, or the one that does.
        bool expected = neverJumps != jumpWhen;
        var exit = DeoptExit(i, neverJumps ? DeoptReason.BranchNeverTaken : DeoptReason.BranchAlwaysTaken);
        if (KindsOf(slot) != KindSet.Bool)
        {
            _asm.cmp(KindByte(slot), (int)ValueKind.Bool);
            _asm.jne(exit);
        }
        _asm.cmp(__byte_ptr[Address(slot)], 0);
        if (expected) _asm.je(exit);
        else _asm.jne(exit);
        Pop();
        if (!neverJumps)
        {
            _asm.jmp(JumpTarget(i));
            _stack.Clear();
        }
    }

    /// <summary>JUMP_IF_FALSE_OR_POP (<c>and</c>) and JUMP_IF_TRUE_OR_POP (<c>or</c>): the operand stays
    /// on the stack when the jump is taken.</summary>
    private void EmitShortCircuit(int i, bool isAnd)
    {
        FlushAll();
        var slot = Operand.Slot(Depth - 1);
        var notBool = _asm.CreateLabel();
        if (KindsOf(slot) != KindSet.Bool)
        {
            _asm.cmp(KindByte(slot), (int)ValueKind.Bool);
            _asm.jne(notBool);
        }
        _asm.cmp(__byte_ptr[Address(slot)], 0);
        var target = JumpTarget(i);
        if (isAnd) _asm.je(target); // false: the result of `and`
        else _asm.jne(target);      // true: the result of `or`
        Pop();
        int at = i;
        OutOfLine(() =>
        {
            Bind(ref notBool);
            RaiseError(RuntimeHelpers.ErrorKind.BoolOperand, slot, (int)(isAnd ? BoolOperator.And : BoolOperator.Or), at);
        });
    }

    private void EmitRequireBool(int i, BoolOperator op)
    {
        var value = _stack.Top;
        if (KindsOf(value) == KindSet.Bool) return;
        int position = Depth - 1;
        Materialize(position);
        var slot = Operand.Slot(position);
        var notBool = _asm.CreateLabel();
        _asm.cmp(KindByte(slot), (int)ValueKind.Bool);
        _asm.jne(notBool);
        int at = i;
        OutOfLine(() =>
        {
            Bind(ref notBool);
            RaiseError(RuntimeHelpers.ErrorKind.BoolOperand, slot, (int)op, at);
        });
    }
}
