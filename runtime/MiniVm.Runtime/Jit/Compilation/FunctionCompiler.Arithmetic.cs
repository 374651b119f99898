using Iced.Intel;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;
using MiniVm.Jit.Calls;
using MiniVm.Values;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>Arithmetic and unary operators: int fast paths, float paths, division by constants, the general path.</summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>
    /// <c>a op b</c>. Ints inline with the overflow check; two numbers with a float among them in
    /// SSE registers out of line; everything else (strings, errors, int overflow, division by zero)
    /// through the helper. When a STORE_FAST or STORE_GLOBAL follows, the result goes straight there.
    /// In optimized code, <c>+ - *</c> on ints the analysis proved (its bets included) treat
    /// overflow as a guard: the interpreter redoes the operation and raises the error.
    /// </summary>
    private int EmitArithmetic(int i, OpCode op)
    {
        if (TryFold(op, _stack[Depth - 2], _stack.Top) is { } folded)
        {
            Pop();
            Pop();
            Push(Immediate(folded));
            return i;
        }
        bool provedInts = KindsOf(_stack[Depth - 2]) == KindSet.Int && KindsOf(_stack.Top) == KindSet.Int;
        // A loop counter's increment cannot overflow (FunctionCompiler.BoundedIncrements.cs).
        bool cannotOverflow = provedInts && op == OpCode.BinaryAdd && IsBoundedIncrement(i);
        Label? overflowExit = _speculation is not null && op is OpCode.BinaryAdd or OpCode.BinarySubtract or OpCode.BinaryMultiply
            && provedInts && !cannotOverflow
            ? DeoptExit(i, DeoptReason.IntegerOverflow)
            : null;
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
            last = i + 1;
        }
        else if (returns)
        {
            destination = Operand.Local(0); // the result slot: `return a op b` writes it directly
            last = i + 1;
        }

        if (!returns && (cannotOverflow || overflowExit is not null
                ? TryInPlace(op, a, b, destination, overflowExit)
                : TryFloatInPlace(op, a, b, destination)))
            return last;

        var slow = overflowExit ?? _asm.CreateLabel();
        var done = _asm.CreateLabel();
        var aKinds = KindsOf(a);
        var bKinds = KindsOf(b);
        // A float operand (proved, or a float constant) makes the result a float whatever the
        // other number is: that case goes straight to SSE. Otherwise ints are tried first.
        bool floatFirst = op != OpCode.BinaryModulo && (aKinds == KindSet.Float || bKinds == KindSet.Float);
        bool floatPossible = op != OpCode.BinaryModulo && May(aKinds, KindSet.Float | KindSet.Int) && May(bKinds, KindSet.Float | KindSet.Int)
            && (May(aKinds, KindSet.Float) || May(bKinds, KindSet.Float));
        int taker = destination.Kind == OperandKind.Slot ? TakerFromRegister(i, position) : -1;
        if (floatFirst)
        {
            EmitFloatArithmetic(op, a, b, destination, slow, taker);
        }
        else if (May(aKinds, KindSet.Int) && May(bKinds, KindSet.Int))
        {
            bool bInRcx = LoadOperandsAsInts(a, b, slow);
            EmitIntOperation(op, b, slow, bInRcx);
            // (Kept in rax only if the analysis proved the result an int: then the float path
            // below, which arrives with the bits in rax too, is never taken.)
            if (taker >= 0 && (_kinds.Stack(taker, position) & KindSet.Any) == KindSet.Int) KeepInRegister(destination, ValueKind.Int, taker);
            else StoreInt(destination);
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
        if (returns) EmitReturn(i + 1);

        if (overflowExit is not null) return last; // the only slow path is the exit
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
            if (_inline is not null) return; // the helper is the way out of the inline body: nothing comes back here
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
    /// <c>v = v op b</c> (a store, not a return, follows) on a variable promoted to a general register,
    /// ints proved, with overflow a deoptimization exit (or proved impossible: a loop counter's
    /// increment): the operation works on the register itself (<c>add rsi, 1; jo</c>),
    /// with no copy through rax and back. On overflow the register holds the wrapped value, but
    /// the exit loads every promoted register from memory first, and memory still has the value
    /// from before (variables are written through, after the operation).
    /// </summary>
    /// <param name="overflowExit">Null for an add proved not to overflow (a loop counter's).</param>
    private bool TryInPlace(OpCode op, Operand a, Operand b, Operand destination, Label? overflowExit)
    {
        if (a != destination || b == destination || !_promotion.TryInt(destination, out var register)) return false;
        bool smallConstant = IsSmallInt(b);
        AssemblerRegister64 operand = rcx;
        if (smallConstant) { }
        else if (_promotion.TryInt(b, out var bRegister)) operand = bRegister;
        else if (overflowExit is { } notInt) LoadInt(b, rcx, notInt); // (proved an int: a plain load)
        else return false;
        int k = smallConstant ? (int)ConstantValue(b).Bits : 0;
        switch (op)
        {
            case OpCode.BinaryAdd when smallConstant: _asm.add(register, k); break;
            case OpCode.BinaryAdd: _asm.add(register, operand); break;
            case OpCode.BinarySubtract when smallConstant: _asm.sub(register, k); break;
            case OpCode.BinarySubtract: _asm.sub(register, operand); break;
            case OpCode.BinaryMultiply when smallConstant: _asm.imul(register, register, k); break;
            default: _asm.imul(register, operand); break;
        }
        if (overflowExit is { } exit) _asm.jo(exit);
        Overwriting(destination);
        if (!IsRegisterOnly(destination))
        {
            _asm.mov(Bits(destination), register);
            StoreKind(destination, ValueKind.Int);
        }
        return true;
    }

    /// <summary>
    /// <c>v = v op b</c> (a store follows) on a variable promoted to an SSE register, v proved a
    /// float and b a number: the operation works on the register itself (<c>addsd xmm2, xmm0</c>).
    /// Float arithmetic cannot fail, so nothing needs the value from before.
    /// </summary>
    private bool TryFloatInPlace(OpCode op, Operand a, Operand b, Operand destination)
    {
        if (a != destination || b == destination || op == OpCode.BinaryModulo || !_promotion.TryFloat(destination, out var register)
            || KindsOf(a) != KindSet.Float || KindsOf(b) is not (KindSet.Float or KindSet.Int))
            return false;
        var operand = xmm1;
        if (_xmm0Holds == b) operand = xmm0;
        else if (KindsOf(b) == KindSet.Float && _promotion.TryFloat(b, out var bRegister)) operand = bRegister;
        else LoadNumber(b, xmm1, default); // (proved a number: no way out)
        switch (op)
        {
            case OpCode.BinaryAdd: _asm.addsd(register, operand); break;
            case OpCode.BinarySubtract: _asm.subsd(register, operand); break;
            case OpCode.BinaryMultiply: _asm.mulsd(register, operand); break;
            default: _asm.divsd(register, operand); break;
        }
        Overwriting(destination);
        if (!IsRegisterOnly(destination))
        {
            _asm.movsd(__qword_ptr[Address(destination)], register);
            StoreKind(destination, ValueKind.Float);
        }
        return true;
    }

    /// <summary>An int constant that fits an instruction's 32-bit immediate.</summary>
    private bool IsSmallInt(Operand operand) =>
        operand.Kind == OperandKind.Const && ConstantValue(operand).Kind == ValueKind.Int && ConstantValue(operand).Bits == (int)ConstantValue(operand).Bits;

    /// <summary>Two number constants: the result the interpreter would compute, if it computes one
    /// (an error, such as an overflow, is left to run time).</summary>
    private Value? TryFold(OpCode op, Operand a, Operand b)
    {
        if (a.Kind != OperandKind.Const || b.Kind != OperandKind.Const) return null;
        var left = ConstantValue(a);
        var right = ConstantValue(b);
        if (!left.IsNumber || !right.IsNumber) return null;
        // Numbers only: the state (for strings) is never touched.
        return Operations.Arithmetic(op, ref left, right, null!) is null ? left : null;
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
    private void EmitFloatArithmetic(OpCode op, Operand a, Operand b, Operand destination, Label other, int taker = -1)
    {
        // The same value twice (`dx * dx`) is loaded once.
        var right = a == b ? xmm0 : xmm1;
        if (a == b) LoadNumber(a, xmm0, other);
        else LoadFloatOperands(a, b, other);
        switch (op)
        {
            case OpCode.BinaryAdd: _asm.addsd(xmm0, right); break;
            case OpCode.BinarySubtract: _asm.subsd(xmm0, right); break;
            case OpCode.BinaryMultiply: _asm.mulsd(xmm0, right); break;
            default: _asm.divsd(xmm0, right); break;
        }
        if (taker >= 0) KeepInRegister(destination, ValueKind.Float, taker);
        else StoreFloat(destination, xmm0);
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
        bool smallConstant = !bInRcx && IsSmallInt(b);
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
}
