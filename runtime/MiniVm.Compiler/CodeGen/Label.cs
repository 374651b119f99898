namespace MiniVm.Compiler.CodeGen;

/// <summary>A jump target. Forward jumps are emitted with a placeholder and patched when the
/// label is bound (clox's way); backward jumps are emitted against a bound label.</summary>
internal sealed class Label
{
    /// <summary>The bound code offset, or -1.</summary>
    public int Offset { get; set; } = -1;

    /// <summary>The stack depth on arrival, taken from the first jump to it (-1 until then).</summary>
    public int Depth { get; set; } = -1;

    /// <summary>Argument positions of forward jumps waiting for <see cref="Offset"/>.</summary>
    public List<(int ArgumentAt, int InstructionEnd, bool Relative)> Patches { get; } = [];

    public bool IsReferenced { get; set; }
}
