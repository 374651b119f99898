using MiniVm.Bytecode.Opcodes;
using MiniVm.Values;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// Results that stay in their register: an arithmetic result (or a <c>sqrt</c>) is written to
/// its operand-stack slot only if something may read it there. When the instruction that takes
/// it (the next one that emits code: constants and locals pushed in between emit none) reads it
/// from rax or xmm0 and nothing else can see the slot in between, the store is left out:
/// <c>i % 1000 * 0.01</c> converts the remainder straight from rax, <c>dx * dx + dy * dy</c> adds
/// from xmm0 and <c>sqrt(...)</c> takes its argument there. The taking instructions are the ones
/// whose code, with the kinds the analysis proved, neither reads the slot nor can leave the fast
/// path before reading the register (no exit or helper that would expect the frame to hold it).
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>The operand-stack slot whose value is only in rax or xmm0 (<see cref="_raxHolds"/>,
    /// <see cref="_xmm0Holds"/>), not in memory, and its kind; <see cref="Operand.None"/> if none.</summary>
    private Operand _inRegisterOnly = Operand.None;
    private ValueKind _inRegisterOnlyKind;
    /// <summary>The instruction that takes <see cref="_inRegisterOnly"/>: after it, nothing is kept.</summary>
    private int _inRegisterOnlyTaker;

    /// <summary>The instruction that takes the value instruction <paramref name="i"/> leaves in slot
    /// <paramref name="position"/> (the top of the stack after it) from its register, or -1 if none does.</summary>
    private int TakerFromRegister(int i, int position)
    {
        int j = i + 1;
        while (j < _code.Length && Flows(j) && _code[j].Info.Code is OpCode.LoadConst or OpCode.LoadFast) j++;
        if (j >= _code.Length || !Flows(j)) return -1;
        return TakesFromRegister(j, position) && !FlushesFirst(j, position) ? j : -1;
    }

    private bool TakesFromRegister(int j, int position)
    {
        int depth = _depth[j];
        KindSet KindAt(int p) => _kinds.Stack(j, p) & KindSet.Any;
        static bool IsNumber(KindSet kinds) => kinds is KindSet.Int or KindSet.Float;
        switch (_code[j].Info.Code)
        {
            case OpCode.BinaryAdd or OpCode.BinarySubtract or OpCode.BinaryMultiply:
                // Numbers with a float among them: the SSE path, with no slow path and no exit.
                var a = KindAt(depth - 2);
                var b = KindAt(depth - 1);
                return (position == depth - 2 || position == depth - 1) && IsNumber(a) && IsNumber(b)
                    && (a == KindSet.Float || b == KindSet.Float);
            case OpCode.CallBuiltin:
                var (id, argc) = BuiltinInfo.DecodeCall(_code[j].Arg);
                return (BuiltinId)id == BuiltinId.Sqrt && argc == 1 && position == depth - 1 && IsNumber(KindAt(position));
            case OpCode.ReturnValue or OpCode.StoreFast or OpCode.StoreGlobal:
                // A copy from the register, with the kind it is known to have.
                return position == depth - 1 && IsNumber(KindAt(position));
            default:
                return false;
        }
    }

    /// <summary>
    /// Whether instruction <paramref name="j"/> stores to a variable that a value below
    /// <paramref name="position"/> still reads (a lazy copy of it): it first writes that copy to
    /// its slot, through rax. (A <c>+ - *</c> with a store after it stores straight to the variable.)
    /// </summary>
    private bool FlushesFirst(int j, int position)
    {
        int store = _code[j].Info.Code is OpCode.StoreFast or OpCode.StoreGlobal ? j
            : j + 1 < _code.Length && Flows(j + 1) && _code[j + 1].Info.Code is OpCode.StoreFast or OpCode.StoreGlobal ? j + 1
            : -1;
        if (store < 0) return false;
        var variable = _code[store].Info.Code == OpCode.StoreFast ? Operand.Local(_code[store].Arg) : Operand.Global(_code[store].Arg);
        for (int p = 0; p < position && p < Depth; p++)
            if (_stack[p] == variable) return true;
        return false;
    }

    /// <summary>Whether instruction <paramref name="j"/> is compiled and only the previous one leads to it.</summary>
    private bool Flows(int j) => !_isTarget[j] && HasCode(j);

    /// <summary>Leaves the int result in rax (or float result in xmm0) in place of storing it to <paramref name="slot"/>.</summary>
    private void KeepInRegister(Operand slot, ValueKind kind, int taker)
    {
        Overwriting(slot);
        _inRegisterOnly = slot;
        _inRegisterOnlyKind = kind;
        _inRegisterOnlyTaker = taker;
        if (kind == ValueKind.Float) _xmm0Holds = slot;
        else _raxHolds = slot;
    }
}
