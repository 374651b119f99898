namespace MiniVm.Compiler.Semantics;

public enum VariableStorage
{
    /// <summary>A top-level <c>let</c>: a slot in the module's globals.</summary>
    Global,
    /// <summary>A parameter or block-scoped <c>let</c>: a slot in the frame's locals.</summary>
    Local,
}

/// <summary>A declared variable and where it lives.</summary>
public sealed record VariableSymbol(string Name, VariableStorage Storage, int Slot);

/// <summary>A declared function: its index in the module and its parameter count.</summary>
public sealed record FunctionSymbol(string Name, int Index, int ParamCount);
