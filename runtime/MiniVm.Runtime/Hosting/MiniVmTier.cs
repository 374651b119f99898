namespace MiniVm;

/// <summary>How a module's code is executed.</summary>
public enum MiniVmTier
{
    /// <summary>The bytecode interpreter only.</summary>
    Interpreter,
    /// <summary>Every function compiled to machine code before its first call.</summary>
    Jit,
    /// <summary>Interpret, profile, and compile what is hot.</summary>
    Tiered,
}
