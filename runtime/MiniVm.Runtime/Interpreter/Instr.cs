using System.Runtime.InteropServices;

namespace MiniVm.Interpreter;

/// <summary>
/// One pre-decoded instruction, as the interpreter executes it: its <see cref="Interpreter.Op"/> and full argument,
/// EXTENDED_ARG already folded in and a jump's argument turned into its distance, in instructions,
/// from the jump to its target. <see cref="Index"/> is the instruction's own position, so a call
/// records where to resume, and an error where it happened, without finding the start of the code.
/// The file's byte offsets stay in <see cref="FunctionCode.Offsets"/> for line tables and traces.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct Instr(Op op, int arg, int index)
{
    public readonly Op Op = op;
    public readonly int Arg = arg;
    public readonly int Index = index;
}
