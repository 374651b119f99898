using Iced.Intel;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;
using MiniVm.Jit.Calls;
using MiniVm.Values;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>The code for each opcode (the other half of <see cref="FunctionCompiler"/>).</summary>
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
                Push(Operand.Local(arg));
                return i;
            case OpCode.LoadConst:
                Push(Operand.Const(arg));
                return i;
            case OpCode.LoadGlobal:
            {
                var global = Operand.Global(arg);
                bool provedAssigned = (_kinds.Global(i, arg) & KindSet.Unassigned) == 0;
                if (!MarkAssigned(arg) || provedAssigned)
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
                MarkAssigned(arg);
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
                _asm.jmp(_labels[_targetIndex[i]]);
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
                Copy(Pop(), Operand.Local(0)); // frame slot 0, whether or not the code has locals
                EmitReturn();
                return i;
            }
            default:
                throw new InvalidOperationException($"the JIT has no code for {instruction.Info.Name}");
        }
    }

    // ---- Arithmetic ----

    /// <summary>RETURN_VALUE once the result is in frame slot 0: status 0, and leave.</summary>
    private void EmitReturn()
    {
        _asm.xor(eax, eax);
        Epilogue();
        _stack.Clear();
        ForgetRegisters();
    }

    /// <summary>
    /// <c>a op b</c>. Ints inline with the overflow check; two numbers with a float among them in
    /// SSE registers out of line; everything else (strings, errors, int overflow, division by zero)
    /// through the helper. When a STORE_FAST or STORE_GLOBAL follows, the result goes straight there.
    /// </summary>
    private int EmitArithmetic(int i, OpCode op)
    {
        var b = Pop();
        var a = Pop();
        int position = Depth;
        var destination = Operand.Slot(position);
        int last = i;
        var next = Next(i);
        bool returns = next == OpCode.ReturnValue;
        if (next is OpCode.StoreFast or OpCode.StoreGlobal)
        {
            destination = next == OpCode.StoreFast ? Operand.Local(_code[i + 1].Arg) : Operand.Global(_code[i + 1].Arg);
            FlushReadsOf(destination);
            if (next == OpCode.StoreGlobal) MarkAssigned(_code[i + 1].Arg);
            last = i + 1;
        }
        else if (returns)
        {
            destination = Operand.Local(0); // the result slot: `return a op b` writes it directly
            last = i + 1;
        }

        var slow = _asm.CreateLabel();
        var done = _asm.CreateLabel();
        var aKinds = KindsOf(a);
        var bKinds = KindsOf(b);
        // A float operand (proved, or a float constant) makes the result a float whatever the
        // other number is: that case goes straight to SSE. Otherwise ints are tried first.
        bool floatFirst = op != OpCode.BinaryModulo && (aKinds == KindSet.Float || bKinds == KindSet.Float);
        bool floatPossible = op != OpCode.BinaryModulo && May(aKinds, KindSet.Float | KindSet.Int) && May(bKinds, KindSet.Float | KindSet.Int)
            && (May(aKinds, KindSet.Float) || May(bKinds, KindSet.Float));
        if (floatFirst)
        {
            EmitFloatArithmetic(op, a, b, destination, slow);
        }
        else if (May(aKinds, KindSet.Int) && May(bKinds, KindSet.Int))
        {
            bool bInRcx = LoadOperandsAsInts(a, b, slow);
            EmitIntOperation(op, b, slow, bInRcx);
            StoreInt(destination);
        }
        else
        {
            _asm.jmp(slow);
        }
        Bind(ref done);
        // Every path arrives with the result's bits in rax, except from the float-first code.
        _raxHolds = floatFirst ? Operand.None : destination;
        if (!floatFirst) _xmm0Holds = Operand.None; // the float slow path arrives with the result in xmm0, the int path does not
        if (last == i) Push(destination);
        if (returns) EmitReturn();

        int at = i;
        OutOfLine(() =>
        {
            Bind(ref slow);
            var helper = _asm.CreateLabel();
            if (floatPossible && !floatFirst)
            {
                // Two ints reach here only on overflow or a bad divisor: the helper's result or error.
                if (May(aKinds, KindSet.Int) && May(bKinds, KindSet.Int))
                {
                    var floatPath = _asm.CreateLabel();
                    if (aKinds != KindSet.Int)
                    {
                        _asm.cmp(KindByte(a), (int)ValueKind.Int);
                        _asm.jne(floatPath);
                    }
                    if (bKinds != KindSet.Int)
                    {
                        _asm.cmp(KindByte(b), (int)ValueKind.Int);
                        _asm.jne(floatPath);
                    }
                    _asm.jmp(helper);
                    Bind(ref floatPath);
                }
                EmitFloatArithmetic(op, a, b, destination, helper);
                _asm.movq(rax, xmm0);
                _asm.jmp(done);
            }
            Bind(ref helper);
            var left = CallBinaryHelper(RuntimeHelpers.Arithmetic, (int)op, a, b, position, at);
            _asm.test(rax, rax);
            _asm.jne(_fail);
            Copy(left, destination);
            _asm.mov(rax, Bits(destination));
            if (floatFirst) _asm.movsd(xmm0, __qword_ptr[Address(destination)]); // a float: the float-first path's xmm0
            _asm.jmp(done);
        });
        return last;
    }

    /// <summary>
    /// The general path of a binary operation: both operands copied to their own slots (where
    /// the interpreter has them, for the helper to read and the string collector to see), then
    /// <c>helper(context, selector, &amp;a, &amp;b, function, at)</c>. Returns the left slot, where
    /// an arithmetic helper leaves its result; the helper's status is in rax.
    /// </summary>
    private Operand CallBinaryHelper(nint helper, int selector, Operand a, Operand b, int position, int at)
    {
        var left = Operand.Slot(position);
        var right = Operand.Slot(position + 1);
        Copy(b, right);
        Copy(a, left);
        _asm.mov(rdi, r12);
        _asm.mov(esi, selector);
        _asm.lea(rdx, Address(left));
        _asm.lea(rcx, Address(right));
        _asm.mov(r8d, _function.Index);
        _asm.mov(r9d, at);
        CallHelper(helper, checkStatus: false);
        return left;
    }

    /// <summary><c>rax = rax op b</c> for ints; jumps to <paramref name="slow"/> when <paramref name="b"/>
    /// is not an int or the operation cannot be done exactly (overflow, divisor 0 or -1).</summary>
    /// <summary><c>destination = a op b</c> in SSE registers, each operand an int (converted) or a
    /// float; anything else goes to <paramref name="other"/>. Float arithmetic cannot fail.</summary>
    private void EmitFloatArithmetic(OpCode op, Operand a, Operand b, Operand destination, Label other)
    {
        LoadFloatOperands(a, b, other);
        switch (op)
        {
            case OpCode.BinaryAdd: _asm.addsd(xmm0, xmm1); break;
            case OpCode.BinarySubtract: _asm.subsd(xmm0, xmm1); break;
            case OpCode.BinaryMultiply: _asm.mulsd(xmm0, xmm1); break;
            default: _asm.divsd(xmm0, xmm1); break;
        }
        StoreFloat(destination, xmm0);
    }

    /// <summary>Loads <paramref name="a"/> into xmm0 and <paramref name="b"/> into xmm1 as doubles (if xmm0
    /// held b, it moves aside first).</summary>
    private void LoadFloatOperands(Operand a, Operand b, Label other)
    {
        if (_xmm0Holds == b && a != b)
        {
            _asm.movapd(xmm1, xmm0);
            _xmm0Holds = Operand.None;
            LoadNumber(a, xmm0, other);
            return;
        }
        LoadNumber(a, xmm0, other);
        LoadNumber(b, xmm1, other);
    }

    /// <summary>Loads <paramref name="a"/> into rax and checks both operands are ints. Returns true
    /// when <paramref name="b"/> is then already in rcx (rax held it: it moves aside for a).</summary>
    private bool LoadOperandsAsInts(Operand a, Operand b, Label slow)
    {
        if (_raxHolds == b && a != b)
        {
            var kinds = KindsOf(b);
            if (!May(kinds, KindSet.Int))
            {
                _asm.jmp(slow);
            }
            else if (kinds != KindSet.Int)
            {
                _asm.cmp(KindByte(b), (int)ValueKind.Int);
                _asm.jne(slow);
            }
            _asm.mov(rcx, rax);
            _raxHolds = Operand.None;
            LoadInt(a, rax, slow);
            return true;
        }
        LoadInt(a, rax, slow);
        return false;
    }

    private void EmitIntOperation(OpCode op, Operand b, Label slow, bool bInRcx)
    {
        bool smallConstant = !bInRcx && b.Kind == OperandKind.Const && ConstantValue(b).Kind == ValueKind.Int
            && ConstantValue(b).Bits == (int)ConstantValue(b).Bits;
        switch (op)
        {
            case OpCode.BinaryAdd:
            case OpCode.BinarySubtract:
            case OpCode.BinaryMultiply:
                if (smallConstant)
                {
                    int k = (int)ConstantValue(b).Bits;
                    if (op == OpCode.BinaryAdd) _asm.add(rax, k);
                    else if (op == OpCode.BinarySubtract) _asm.sub(rax, k);
                    else _asm.imul(rax, rax, k);
                }
                else
                {
                    if (!bInRcx) LoadInt(b, rcx, slow);
                    if (op == OpCode.BinaryAdd) _asm.add(rax, rcx);
                    else if (op == OpCode.BinarySubtract) _asm.sub(rax, rcx);
                    else _asm.imul(rax, rcx);
                }
                _asm.jo(slow);
                return;
            default:
            {
                if (!bInRcx && b.Kind == OperandKind.Const && ConstantValue(b).Kind == ValueKind.Int && ConstantDivision.CanStrengthReduce(ConstantValue(b).Bits))
                {
                    EmitDivisionByConstant(op, ConstantValue(b).Bits);
                    return;
                }
                if (!bInRcx) LoadInt(b, rcx, slow);
                bool safeDivisor = b.Kind == OperandKind.Const && ConstantValue(b).Kind == ValueKind.Int
                    && (ulong)(ConstantValue(b).Bits + 1) > 1;
                if (!safeDivisor)
                {
                    // (ulong)(b + 1) <= 1 exactly when b is 0 or -1: the helper decides those.
                    _asm.lea(rdx, __[rcx + 1]);
                    _asm.cmp(rdx, 1);
                    _asm.jbe(slow);
                }
                _asm.cqo();
                _asm.idiv(rcx);
                if (op == OpCode.BinaryModulo) _asm.mov(rax, rdx);
                return;
            }
        }
    }

    /// <summary>
    /// <c>rax = rax / d</c> or <c>rax % d</c> (truncating, like C# and the interpreter) without
    /// <c>idiv</c>, which takes tens of cycles: a shift for a positive power of two, otherwise a
    /// multiplication by the magic reciprocal (Hacker's Delight, 10-1). Cannot fail: d is not 0 or -1.
    /// </summary>
    private void EmitDivisionByConstant(OpCode op, long d)
    {
        _asm.mov(rcx, rax); // x
        if (ConstantDivision.PowerOfTwoShift(d) is int k)
        {
            // Round towards zero: add d - 1 to a negative x before the arithmetic shift.
            _asm.sar(rax, (byte)63);
            _asm.shr(rax, (byte)(64 - k));
            _asm.add(rax, rcx);
            if (op == OpCode.BinaryDivide)
            {
                _asm.sar(rax, (byte)k);
                return;
            }
            if (k <= 31) _asm.and(rax, (int)-(1L << k));
            else
            {
                _asm.mov(rdx, -(1L << k));
                _asm.and(rax, rdx);
            }
            _asm.sub(rcx, rax);
            _asm.mov(rax, rcx);
            return;
        }
        var (magic, shift) = ConstantDivision.Magic(d);
        _asm.mov(rax, magic);
        _asm.imul(rcx); // rdx = the high half of magic * x
        if (d > 0 && magic < 0) _asm.add(rdx, rcx);
        if (d < 0 && magic > 0) _asm.sub(rdx, rcx);
        if (shift > 0) _asm.sar(rdx, (byte)shift);
        _asm.mov(rax, rdx);
        _asm.shr(rax, (byte)63);
        _asm.add(rdx, rax); // + 1 when the quotient is negative: truncation towards zero
        if (op == OpCode.BinaryDivide)
        {
            _asm.mov(rax, rdx);
            return;
        }
        if (d == (int)d) _asm.imul(rdx, rdx, (int)d);
        else
        {
            _asm.mov(rax, d);
            _asm.imul(rdx, rax);
        }
        _asm.sub(rcx, rdx);
        _asm.mov(rax, rcx);
    }

    private void EmitNegate(int i)
    {
        var value = Pop();
        var destination = Operand.Slot(Depth);
        var slow = _asm.CreateLabel();
        var done = _asm.CreateLabel();
        LoadInt(value, rax, slow);
        _asm.neg(rax);
        _asm.jo(slow);
        StoreInt(destination);
        Bind(ref done);
        _raxHolds = destination; // every path arrives with the result's bits in rax
        _xmm0Holds = Operand.None; // the slow path may call a helper
        Push(destination);
        int at = i;
        OutOfLine(() =>
        {
            Bind(ref slow);
            var helper = _asm.CreateLabel();
            Copy(value, destination);
            _asm.cmp(KindByte(destination), (int)ValueKind.Float);
            _asm.jne(helper);
            _asm.xor(__byte_ptr[Address(destination, 7)], -128); // flip the double's sign bit
            _asm.mov(rax, Bits(destination));
            _asm.jmp(done);
            Bind(ref helper);
            _asm.mov(rdi, r12);
            _asm.mov(esi, (int)RuntimeHelpers.ErrorKind.Negate);
            _asm.lea(rdx, Address(destination));
            _asm.xor(ecx, ecx);
            _asm.mov(r8d, _function.Index);
            _asm.mov(r9d, at);
            CallHelper(RuntimeHelpers.Error);
            _asm.mov(rax, Bits(destination));
            _asm.jmp(done);
        });
    }

    private void EmitNot(int i)
    {
        var value = Pop();
        var destination = Operand.Slot(Depth);
        Copy(value, destination);
        var notBool = _asm.CreateLabel();
        _asm.cmp(KindByte(destination), (int)ValueKind.Bool);
        _asm.jne(notBool);
        _asm.xor(__byte_ptr[Address(destination)], 1);
        Overwriting(destination);
        Push(destination);
        int at = i;
        OutOfLine(() =>
        {
            Bind(ref notBool);
            RaiseError(RuntimeHelpers.ErrorKind.Not, destination, 0, at);
        });
    }

    // ---- Comparisons and branches ----

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
        bool fused = next is OpCode.PopJumpIfFalse or OpCode.PopJumpIfTrue;
        if (fused) FlushAll(); // both successors start with every value in its slot
        int position = Depth;
        var destination = Operand.Slot(position);
        var slow = _asm.CreateLabel();
        var done = _asm.CreateLabel(); // where the result is known: fall-through of the fused branch
        bool jumpWhen = next == OpCode.PopJumpIfTrue;
        Label target = fused ? _labels[_targetIndex[i + 1]] : default;
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
            bool bInRcx = LoadOperandsAsInts(a, b, slow);
            if (!bInRcx && b.Kind == OperandKind.Const && ConstantValue(b).Bits == (int)ConstantValue(b).Bits)
            {
                _asm.cmp(rax, (int)ConstantValue(b).Bits);
            }
            else
            {
                if (!bInRcx) LoadInt(b, rcx, slow);
                _asm.cmp(rax, rcx);
            }
            if (fused)
            {
                JumpIf(jumpWhen ? condition : Negated(condition), target);
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

    /// <summary>POP_JUMP_IF_FALSE/TRUE on its own: the condition must be a bool.</summary>
    private void EmitConditionalJump(int i, bool jumpWhen)
    {
        var condition = Pop();
        FlushAll();
        var target = _labels[_targetIndex[i]];
        if (condition.Kind == OperandKind.Const && ConstantValue(condition).Kind == ValueKind.Bool)
        {
            if (ConstantValue(condition).AsBool == jumpWhen) _asm.jmp(target);
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
        if (jumpWhen) _asm.jne(target);
        else _asm.je(target);
        int at = i;
        OutOfLine(() =>
        {
            Bind(ref notBool);
            Copy(where, slot);
            RaiseError(RuntimeHelpers.ErrorKind.Condition, slot, 0, at);
        });
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
        var target = _labels[_targetIndex[i]];
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

    // ---- Calls ----

    /// <summary>
    /// CALL_FUNCTION: the arguments are already the callee's first locals (in this frame's
    /// operand slots). Checks the depth limit and native stack, writes the caller's frame record
    /// as the interpreter does, clears the callee's other locals and calls its compiled entry
    /// through the module's table (compiling it first if the table has none yet).
    /// </summary>
    private void EmitCall(int i, int calleeIndex)
    {
        FlushAll();
        var callee = _module.AllCode[calleeIndex];
        for (int k = 0; k < callee.ParamCount; k++) Pop();
        int position = Depth;
        var args = Operand.Slot(position);
        var check = _asm.CreateLabel();
        var checkFailed = _asm.CreateLabel();
        var haveEntry = _asm.CreateLabel();
        var noEntry = _asm.CreateLabel();
        var newSegment = _asm.CreateLabel();
        var returned = _asm.CreateLabel();
        int at = i;

        ForgetRegisters();
        // The depth limit. (The native stack needs no check here: a run starts only on a thread
        // with room for the limit's worth of compiled frames; see JitRun.StackNeeded.)
        Bind(ref check);
        _asm.cmp(r14d, r15d);
        _asm.jae(checkFailed);
        // The caller's record: which code, and where it resumes (for traces and the depth count).
        _asm.mov(rcx, __qword_ptr[r12 + JitContext.FramesOffset]);
        _asm.lea(rdx, __[r14 + r14 * 4]);
        _asm.mov(__dword_ptr[rcx + rdx * 4 + CallFrameFunction], _function.Index);
        _asm.mov(__dword_ptr[rcx + rdx * 4 + CallFrameResumeAt], i + 1);
        _asm.inc(r14d);
        // The callee's entry (a recursive call knows its own).
        bool recursive = calleeIndex == _function.Index;
        Bind(ref haveEntry);
        if (!recursive)
        {
            _asm.mov(rax, _entryTable + calleeIndex * nint.Size);
            _asm.mov(rax, __qword_ptr[rax]);
            _asm.test(rax, rax);
            _asm.je(noEntry);
        }
        // Its frame must fit in the active segment.
        _asm.lea(rdi, Address(args));
        _asm.lea(rcx, __[rdi + callee.FrameSize * SlotSize]);
        _asm.cmp(rcx, __qword_ptr[r12 + JitContext.SegmentEndOffset]);
        _asm.ja(newSegment);
        EmitEnter(callee, rdi, recursive);
        Bind(ref returned);
        _asm.dec(r14d);
        ForgetRegisters();
        Push(args);

        OutOfLine(() =>
        {
            Bind(ref checkFailed);
            _asm.mov(rdi, r12);
            _asm.mov(esi, _function.Index);
            _asm.mov(edx, at);
            CallHelper(RuntimeHelpers.CheckCall);
            _asm.mov(r15d, __dword_ptr[r12 + JitContext.FrameLimitOffset]); // the records grew
            _asm.jmp(check);

            if (!recursive)
            {
                Bind(ref noEntry);
                _asm.mov(rdi, r12);
                _asm.mov(esi, calleeIndex);
                CallHelper(RuntimeHelpers.EnsureCompiled, checkStatus: false);
                _asm.test(rax, rax);
                _asm.je(_fail);
                _asm.jmp(haveEntry);
            }

            // A frame that starts the next segment: the helper moves the arguments there; on return
            // the result comes back to this frame's slot.
            Bind(ref newSegment);
            _asm.push(rax);
            _asm.push(rax);
            _asm.mov(rsi, rdi);
            _asm.mov(rdi, r12);
            _asm.mov(edx, calleeIndex);
            CallHelper(RuntimeHelpers.EnterSegment, checkStatus: false);
            _asm.mov(rdi, rax);
            _asm.pop(rax);
            _asm.pop(rax);
            _asm.test(rdi, rdi);
            _asm.je(_fail);
            EmitEnter(callee, rdi, recursive);
            _asm.mov(rdi, r12);
            CallHelper(RuntimeHelpers.LeaveSegment, checkStatus: false);
            _asm.movups(xmm0, __xmmword_ptr[rax]);
            _asm.movups(__xmmword_ptr[Address(args)], xmm0);
            _asm.jmp(returned);
        });
    }

    /// <summary>Clears the callee's locals past its parameters (a fresh local is none), calls the
    /// entry in rax on the frame in <paramref name="frame"/>, and fails if it reported an error.</summary>
    private void EmitEnter(FunctionCode callee, AssemblerRegister64 frame, bool recursive)
    {
        int extra = callee.LocalCount - callee.ParamCount;
        if (extra > 0)
        {
            _asm.xorps(xmm0, xmm0);
            for (int k = callee.ParamCount; k < callee.LocalCount; k++)
                _asm.movups(__xmmword_ptr[frame + k * SlotSize], xmm0);
        }
        if (recursive) _asm.call(_entry);
        else _asm.call(rax);
        _asm.test(rax, rax);
        _asm.jne(_fail);
    }

    /// <summary>CALL_BUILTIN: <c>sqrt</c> of a number inline, everything else through the helper.</summary>
    private void EmitBuiltin(int i, int call)
    {
        var (id, argc) = BuiltinInfo.DecodeCall(call);
        int at = i;
        if ((BuiltinId)id == BuiltinId.Sqrt && argc == 1)
        {
            var value = Pop();
            var destination = Operand.Slot(Depth);
            var general = _asm.CreateLabel();
            var done = _asm.CreateLabel();
            LoadNumber(value, xmm0, general);
            _asm.sqrtsd(xmm0, xmm0);
            StoreFloat(destination, xmm0);
            Bind(ref done);
            ForgetRegisters(); // the general path arrives with a helper's status in rax
            Push(destination);
            OutOfLine(() =>
            {
                Bind(ref general);
                Copy(value, destination);
                EmitBuiltinCall(call, destination, at);
                _asm.jmp(done);
            });
            return;
        }
        FlushAll();
        for (int k = 0; k < argc; k++) Pop();
        var args = Operand.Slot(Depth);
        EmitBuiltinCall(call, args, at);
        Push(args);
    }

    private void EmitBuiltinCall(int call, Operand args, int at)
    {
        _asm.mov(rdi, r12);
        _asm.mov(esi, call);
        _asm.lea(rdx, Address(args));
        _asm.mov(ecx, _function.Index);
        _asm.mov(r8d, at);
        CallHelper(RuntimeHelpers.Builtin);
    }
}
