namespace MiniVm.Bytecode.Opcodes;

/// <summary>How control leaves an instruction.</summary>
public enum FlowKind : byte
{
    /// <summary>Continues with the next instruction.</summary>
    Next,
    /// <summary>Always jumps to its target.</summary>
    Jump,
    /// <summary>Jumps to its target or continues with the next instruction.</summary>
    ConditionalJump,
    /// <summary>Leaves the code block (RETURN_VALUE).</summary>
    Return,
}
