using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Values;

namespace MiniVm.Interpreter;

/// <summary>
/// A verified code block of a loaded module, prepared for execution on first use: instructions
/// decoded (<see cref="Instr"/>), constants turned into <see cref="Value"/>s (strings as the
/// module's permanent handles, assigned at load), and the frame size. Shared by every run and
/// thread of the module.
/// <para>Loading makes only this shell (what a call needs before the callee runs: index,
/// parameter and local counts, frame size). The body (<see cref="Prepared"/>) is made the first
/// time anything needs it — the interpreter entering the block, the JIT compiling it, a trace
/// naming a line in it — and published once: two threads that race may both prepare it, one
/// body wins and both use that one.</para>
/// <para>The interpreter's call path pays nothing for this: it reads <see cref="FirstInstruction"/>
/// and <see cref="FirstConstant"/> without a check. Until the block is prepared they point at
/// <see cref="Unprepared"/>, one <see cref="Op.Prepare"/> instruction that prepares the block and
/// continues at its real first instruction.</para>
/// </summary>
internal sealed class FunctionCode
{
    /// <summary>The code of every block not yet prepared (see <see cref="Op.Prepare"/>).</summary>
    private static readonly Instr[] Unprepared = [new Instr(Op.Prepare, 0, 0)];

    private readonly PreparedModule _module;
    private PreparedBody? _body;

    // What the interpreter reads at a call. The constants are published before the code, and the
    // code is read with acquire semantics before the constants, so a thread that sees prepared
    // code sees its constants.
    private Instr[] _code = Unprepared;
    private Value[] _constants = [];
    private int _instructionCount = -1;

    public FunctionCode(CodeObject source, int index, PreparedModule module)
    {
        Source = source;
        Index = index;
        _module = module;
        ParamCount = source.ParamCount;
        LocalCount = source.LocalCount;
        FrameSize = source.LocalCount + source.MaxStack;
    }

    public CodeObject Source { get; }

    /// <summary>The function's index in the module; the top-level code comes after the functions.
    /// Frames record code blocks by index, so saving a frame stores no object reference.</summary>
    public int Index { get; }
    public string Name => Source.Name;
    public int ParamCount { get; }
    public int LocalCount { get; }
    /// <summary>Locals plus the operand stack's maximum depth: the slots one activation needs.</summary>
    public int FrameSize { get; }

    /// <summary>The decoded instructions (prepares the block if it is not yet).</summary>
    public Instr[] Code => Prepared.Code;
    /// <summary>The byte offset in the file of each instruction (prepares the block if it is not yet).</summary>
    public int[] Offsets => Prepared.Offsets;
    /// <summary>The constants as values (prepares the block if it is not yet).</summary>
    public Value[] Constants => Prepared.Constants;

    /// <summary>The number of instructions (<see cref="Code"/>'s length), counted from the bytecode
    /// without preparing the block.</summary>
    public int InstructionCount
    {
        get
        {
            int count = _instructionCount;
            if (count < 0) _instructionCount = count = CountInstructions(Source.Code);
            return count;
        }
    }

    public int LineAt(int instructionIndex) => Source.LineAt(Offsets[instructionIndex]);

    /// <summary>The prepared body, made now if no thread has made it yet.</summary>
    public PreparedBody Prepared => Volatile.Read(ref _body) ?? Prepare();

    /// <summary>For the interpreter's call path: the first instruction, or <see cref="Op.Prepare"/> before the block is prepared.</summary>
    public ref Instr FirstInstruction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref MemoryMarshal.GetArrayDataReference(Volatile.Read(ref _code));
    }

    /// <summary>For the interpreter's call path: the first constant (read after <see cref="FirstInstruction"/>;
    /// nothing to read through before the block is prepared).</summary>
    public ref Value FirstConstant
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref MemoryMarshal.GetArrayDataReference(_constants);
    }

    /// <summary>Prepares the block if no thread has yet, and makes <see cref="FirstInstruction"/> and
    /// <see cref="FirstConstant"/> the prepared ones for the calling thread. Not inlined: the
    /// interpreter loop calls it from <see cref="Op.Prepare"/>, and its locals must not crowd the
    /// loop's registers (the loop's callers call it for the block they start the loop in).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public PreparedBody Prepare()
    {
        var body = Volatile.Read(ref _body);
        if (body is null)
        {
            var made = Build(Source, _module.StringHandle, _module.Specialize, _module.Tiered);
            body = Interlocked.CompareExchange(ref _body, made, null) ?? made;
        }
        if (_code != body.Code)
        {
            // Every thread that gets here writes the same two arrays, constants first.
            Volatile.Write(ref _constants, body.Constants);
            Volatile.Write(ref _code, body.Code);
        }
        return body;
    }

    /// <summary>Decodes verified code. <paramref name="stringHandle"/> gives a string constant's permanent handle.</summary>
    /// <param name="tiered">Prepare for the tiered mode: calls and loop back-edges become the
    /// instructions that count hotness and switch to compiled code (<see cref="Op.TieredCall"/>, <see cref="Op.LoopJump"/>).</param>
    private static PreparedBody Build(CodeObject source, Func<string, int> stringHandle, bool specialize, bool tiered)
    {
        byte[] bytes = source.Code;
        int count = CountInstructions(bytes);
        var code = new Instr[count];
        var offsets = new int[count];
        // First the offsets (instruction starts), so that a jump's target becomes an instruction
        // index by binary search (verified targets are instruction starts).
        for (int pc = 0, i = 0; pc < bytes.Length; pc = NextInstruction(bytes, pc)) offsets[i++] = pc;
        for (int i = 0; i < count; i++)
        {
            var instruction = Decode(bytes, offsets[i]);
            // Jumps become distances in instructions from the jump itself, so the interpreter moves
            // its instruction cursor without needing the start of the code.
            int arg = instruction.Info.Flow is FlowKind.Jump or FlowKind.ConditionalJump
                ? Array.BinarySearch(offsets, instruction.JumpTarget) - i
                : instruction.Arg;
            var op = OpDecoding.Decode(instruction.Info.Code);
            if (tiered) op = TieredForm(op, arg);
            code[i] = new Instr(op, arg, i);
        }
        if (specialize) Specializer.Apply(code);

        var constants = source.Constants.Length == 0 ? [] : new Value[source.Constants.Length];
        for (int i = 0; i < constants.Length; i++)
        {
            var c = source.Constants[i];
            constants[i] = c.Kind switch
            {
                ConstantKind.None => Value.None,
                ConstantKind.Bool => Value.Bool(c.AsBool),
                ConstantKind.Int => Value.Int(c.AsInt),
                ConstantKind.Float => Value.Float(c.AsFloat),
                _ => Value.StringHandle(stringHandle(c.AsString)),
            };
        }
        return new PreparedBody(code, offsets, constants);
    }

    private static Instruction Decode(byte[] code, int offset) =>
        Instruction.TryDecode(code, offset, out var instruction, out string error)
            ? instruction
            : throw new InvalidOperationException($"unverified code at offset {offset}: {error}");

    /// <summary>Instructions in verified code (an EXTENDED_ARG prefix is part of the instruction it extends).</summary>
    private static int CountInstructions(byte[] code)
    {
        int count = 0;
        for (int pc = 0; pc < code.Length; pc = NextInstruction(code, pc)) count++;
        return count;
    }

    /// <summary>Where the next instruction of verified code starts.</summary>
    private static int NextInstruction(byte[] code, int pc)
    {
        if (code[pc] == (byte)OpCode.ExtendedArg) pc += 3;
        return pc + (code[pc] >= OpcodeTable.HaveArgument ? 3 : 1);
    }

    /// <summary>The tiered mode's form of an instruction (a backward jump, or one to itself, has a distance of 0 or less):
    /// counting hotness, and profiling what the optimizing compile speculates on.</summary>
    private static Op TieredForm(Op op, int arg) => op switch
    {
        Op.CallFunction => Op.TieredCall,
        Op.Jump when arg <= 0 => Op.LoopJump,
        Op.PopJumpIfFalse when arg <= 0 => Op.LoopJumpIfFalse,
        Op.PopJumpIfTrue when arg <= 0 => Op.LoopJumpIfTrue,
        Op.PopJumpIfFalse => Op.ProfiledJumpIfFalse,
        Op.PopJumpIfTrue => Op.ProfiledJumpIfTrue,
        Op.LoadGlobal => Op.ProfiledLoadGlobal,
        Op.ReturnValue => Op.TieredReturn,
        _ => op,
    };
}

/// <summary>A code block as the interpreter runs it: immutable once made.</summary>
/// <param name="Code">The decoded instructions.</param>
/// <param name="Offsets">The byte offset in the file of each instruction, for line lookup.</param>
/// <param name="Constants">The constant pool as values.</param>
internal sealed record PreparedBody(Instr[] Code, int[] Offsets, Value[] Constants);
