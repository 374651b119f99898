using Iced.Intel;
using Instruction = MiniVm.Bytecode.Opcodes.Instruction;
using MiniVm.Bytecode.Opcodes;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// Which locals and globals of a code block live in registers, and which: the variables read
/// most inside loops with a proved (or bet) kind of int go to general registers, of float to SSE
/// registers. A promoted variable is written through: every store writes the frame (or the
/// globals) and the register, so the frame is always exactly the interpreter's (deoptimization,
/// helpers, traces and on-stack replacement need nothing more) and only the reads, which carry
/// the loop's dependency chains, come from the register instead of a store-to-load round trip
/// through memory. The registers are caller-saved, so they are loaded again after anything that
/// may change them: a helper call, a compiled call (which may also store globals), an entry.
/// </summary>
internal sealed class RegisterPromotion
{
    /// <summary>General registers for ints: none of them is a scratch register of the code
    /// generator's fast paths (only helper and call set-ups use them, and reload afterwards).</summary>
    private static readonly AssemblerRegister64[] IntRegisters = [rsi, rdi, r8, r9, r10];

    /// <summary>SSE registers for floats (xmm0 and xmm1 are the code generator's scratch).</summary>
    private static readonly AssemblerRegisterXMM[] FloatRegisters = [xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15];

    /// <summary>A read inside a loop counts this much more than one outside (per loop level).</summary>
    private const int LoopWeight = 16;

    // By variable number: locals first, then globals. -1: not promoted; else the register's index.
    private readonly int _locals;
    private readonly sbyte[] _register;
    private readonly bool[] _isFloat;

    private RegisterPromotion(int locals, int globals)
    {
        _locals = locals;
        _register = new sbyte[locals + globals];
        _isFloat = new bool[locals + globals];
        Array.Fill(_register, (sbyte)-1);
    }

    /// <summary>No variable promoted.</summary>
    public static RegisterPromotion None { get; } = new(0, 0);

    /// <summary>The variables promoted to general registers (as operands), in register order.</summary>
    public Operand[] IntVariables { get; private set; } = [];

    /// <summary>The variables promoted to SSE registers, in register order.</summary>
    public Operand[] FloatVariables { get; private set; } = [];

    public static AssemblerRegister64 IntRegister(int k) => IntRegisters[k];

    public static AssemblerRegisterXMM FloatRegister(int k) => FloatRegisters[k];

    private int Number(Operand variable) => variable.Kind switch
    {
        // (Local 0 of a block without locals is the result slot: not a variable.)
        OperandKind.Local when variable.Index < _locals => variable.Index,
        OperandKind.Global => _locals + variable.Index,
        _ => -1,
    };

    public bool TryInt(Operand variable, out AssemblerRegister64 register)
    {
        int v = Number(variable);
        bool promoted = v >= 0 && v < _register.Length && _register[v] >= 0 && !_isFloat[v];
        register = promoted ? IntRegisters[_register[v]] : default;
        return promoted;
    }

    public bool TryFloat(Operand variable, out AssemblerRegisterXMM register)
    {
        int v = Number(variable);
        bool promoted = v >= 0 && v < _register.Length && _register[v] >= 0 && _isFloat[v];
        register = promoted ? FloatRegisters[_register[v]] : default;
        return promoted;
    }

    /// <summary>Chooses the promoted variables of a code block from its reads inside loops.</summary>
    /// <param name="reached">Whether each instruction is compiled.</param>
    /// <param name="headers">Each loop's header instruction, and in <paramref name="backEdges"/> its last back-edge.</param>
    public static RegisterPromotion Choose(Instruction[] code, int locals, int globals, KindAnalysis kinds, Func<int, bool> reached, List<int> headers, List<int> backEdges)
    {
        if (!kinds.Ran || headers.Count == 0) return None;
        var intScore = new int[locals + globals];
        var floatScore = new int[locals + globals];
        for (int i = 0; i < code.Length; i++)
        {
            if (!reached(i)) continue;
            int depth = 0;
            for (int l = 0; l < headers.Count; l++)
                if (headers[l] <= i && i <= backEdges[l]) depth++;
            if (depth == 0) continue; // only loops carry the chains worth a register
            int arg = code[i].Arg;
            var (v, kind) = code[i].Info.Code switch
            {
                OpCode.LoadFast => (arg, kinds.Local(i, arg)),
                OpCode.LoadGlobal when arg < globals => (locals + arg, kinds.Global(i, arg) & KindSet.Any),
                _ => (-1, KindSet.Empty),
            };
            if (kind == KindSet.Int) intScore[v] += depth * LoopWeight;
            else if (kind == KindSet.Float) floatScore[v] += depth * LoopWeight;
        }
        return Assign(locals, globals, intScore, floatScore, 0, 0);
    }

    /// <summary>
    /// For an inline body (straight-line code run inside its caller's loop): the locals read with a
    /// proved int or float kind, in the registers after the caller's own (<paramref name="callerInts"/>,
    /// <paramref name="callerFloats"/>), which the body must leave alone. seed 004's <c>dx</c> and
    /// <c>dy</c>, each read twice, are then read from SSE registers.
    /// </summary>
    public static RegisterPromotion ForInlineBody(Instruction[] code, int locals, KindAnalysis kinds, Func<int, bool> reached,
        RegisterPromotion caller)
    {
        if (!kinds.Ran) return None;
        var intScore = new int[locals];
        var floatScore = new int[locals];
        for (int i = 0; i < code.Length; i++)
        {
            if (!reached(i) || code[i].Info.Code != OpCode.LoadFast) continue;
            int arg = code[i].Arg;
            var kind = kinds.Local(i, arg);
            if (kind == KindSet.Int) intScore[arg]++;
            else if (kind == KindSet.Float) floatScore[arg]++;
        }
        // Worth a register: a local read more than once (one read is as cheap from the frame).
        for (int v = 0; v < locals; v++)
        {
            if (intScore[v] < 2) intScore[v] = 0;
            if (floatScore[v] < 2) floatScore[v] = 0;
        }
        return Assign(locals, 0, intScore, floatScore, caller.IntVariables.Length, caller.FloatVariables.Length);
    }

    private static RegisterPromotion Assign(int locals, int globals, int[] intScore, int[] floatScore, int firstInt, int firstFloat)
    {
        var promotion = new RegisterPromotion(locals, globals);
        // A variable read both ways goes where it is read more.
        for (int v = 0; v < intScore.Length; v++)
        {
            if (intScore[v] >= floatScore[v]) floatScore[v] = 0;
            else intScore[v] = 0;
        }
        promotion.IntVariables = promotion.Assign(intScore, firstInt, IntRegisters.Length, isFloat: false);
        promotion.FloatVariables = promotion.Assign(floatScore, firstFloat, FloatRegisters.Length, isFloat: true);
        return promotion;
    }

    /// <summary>Gives the registers from number <paramref name="first"/> up to <paramref name="count"/>
    /// to the highest scores (ties: the lower variable number, so the choice is the same on every
    /// run). The result is by register number: <see cref="Operand.None"/> for the registers before
    /// <paramref name="first"/>, which belong to the caller of an inline body.</summary>
    private Operand[] Assign(int[] scores, int first, int count, bool isFloat)
    {
        int assigned = first;
        for (; assigned < count; assigned++)
        {
            int best = -1;
            for (int v = 0; v < scores.Length; v++)
                if (scores[v] > 0 && _register[v] < 0 && (best < 0 || scores[v] > scores[best])) best = v;
            if (best < 0) break;
            _register[best] = (sbyte)assigned;
            _isFloat[best] = isFloat;
        }
        // (An array, not a list: generic code over this assembly's structs would be compiled at start-up.)
        var chosen = new Operand[Math.Max(assigned, first)];
        Array.Fill(chosen, Operand.None);
        for (int v = 0; v < _register.Length; v++)
            if (_register[v] >= 0 && _isFloat[v] == isFloat) chosen[_register[v]] = v < _locals ? Operand.Local(v) : Operand.Global(v - _locals);
        return chosen;
    }
}
