using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Values;

namespace MiniVm.Interpreter;

/// <summary>
/// A verified code block prepared once per loaded module for execution: instructions decoded
/// (<see cref="Instr"/>), constants turned into <see cref="Value"/>s (strings as the module's
/// permanent handles), and the frame size. Immutable, shared by every run and thread.
/// </summary>
internal sealed class FunctionCode
{
    private FunctionCode(CodeObject source, int index, Instr[] code, int[] offsets, Value[] constants)
    {
        Source = source;
        Index = index;
        Code = code;
        Offsets = offsets;
        Constants = constants;
        ParamCount = source.ParamCount;
        LocalCount = source.LocalCount;
        FrameSize = source.LocalCount + source.MaxStack;
    }

    public CodeObject Source { get; }

    /// <summary>The function's index in the module; the top-level code comes after the functions.
    /// Frames record code blocks by index, so saving a frame stores no object reference.</summary>
    public int Index { get; }
    public string Name => Source.Name;
    public Instr[] Code { get; }
    /// <summary>The byte offset in the file of each instruction.</summary>
    public int[] Offsets { get; }
    public Value[] Constants { get; }
    public int ParamCount { get; }
    public int LocalCount { get; }
    /// <summary>Locals plus the operand stack's maximum depth: the slots one activation needs.</summary>
    public int FrameSize { get; }

    public int LineAt(int instructionIndex) => Source.LineAt(Offsets[instructionIndex]);

    /// <summary>Prepares verified code. <paramref name="stringHandle"/> interns a string constant.</summary>
    /// <param name="tiered">Prepare for the tiered mode: calls and loop back-edges become the
    /// instructions that count hotness and switch to compiled code (<see cref="Op.TieredCall"/>, <see cref="Op.LoopJump"/>).</param>
    public static FunctionCode Prepare(CodeObject source, int index, Func<string, int> stringHandle, bool specialize, bool tiered = false)
    {
        var decoded = Instruction.DecodeAll(source.Code);
        // Instruction index by byte offset (verified jump targets are instruction starts).
        var indexOf = new int[source.Code.Length];
        for (int i = 0; i < decoded.Length; i++) indexOf[decoded[i].Offset] = i;

        var code = new Instr[decoded.Length];
        var offsets = new int[decoded.Length];
        for (int i = 0; i < decoded.Length; i++)
        {
            var instruction = decoded[i];
            offsets[i] = instruction.Offset;
            // Jumps become distances in instructions from the jump itself, so the interpreter moves
            // its instruction cursor without needing the start of the code.
            int arg = instruction.Info.Flow is FlowKind.Jump or FlowKind.ConditionalJump
                ? indexOf[instruction.JumpTarget] - i
                : instruction.Arg;
            var op = OpDecoding.Decode(instruction.Info.Code);
            if (tiered) op = TieredForm(op, arg);
            code[i] = new Instr(op, arg, i);
        }
        if (specialize) Specializer.Apply(code);

        var constants = new Value[source.Constants.Length];
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
        return new FunctionCode(source, index, code, offsets, constants);
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
