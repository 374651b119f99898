namespace MiniVm.Bytecode.Model;

/// <summary>
/// One row of a line table: the instructions from <see cref="Offset"/> up to the next row's
/// offset come from source line <see cref="Line"/>.
/// </summary>
public readonly record struct LineEntry(int Offset, int Line);
