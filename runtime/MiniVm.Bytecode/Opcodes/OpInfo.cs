namespace MiniVm.Bytecode.Opcodes;

/// <summary>
/// One row of the opcode table: everything the compiler, verifier, disassembler, interpreter
/// and JIT need to know about an opcode, in one place.
/// </summary>
/// <param name="Code">The opcode.</param>
/// <param name="Name">The mnemonic (CPython's spelling).</param>
/// <param name="Arg">What the argument means (<see cref="ArgKind.None"/> below 90).</param>
/// <param name="Pops">Values popped on the fall-through path; -1 when the argument decides
/// (calls), see <see cref="OpcodeTable.StackEffect"/>.</param>
/// <param name="Pushes">Values pushed on the fall-through path.</param>
/// <param name="Flow">How control leaves the instruction.</param>
/// <param name="PopsOnJump">Values popped when a conditional jump is taken.</param>
public sealed record OpInfo(OpCode Code, string Name, ArgKind Arg, int Pops, int Pushes, FlowKind Flow, int PopsOnJump = 0)
{
    /// <summary>True when the instruction carries an argument.</summary>
    public bool HasArgument => (byte)Code >= OpcodeTable.HaveArgument;

    /// <summary>Encoded size in bytes without an EXTENDED_ARG prefix.</summary>
    public int Size => HasArgument ? 3 : 1;
}
