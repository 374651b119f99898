namespace MiniVm.Compiler.Source;

/// <summary>A 1-based line and column in the source text (columns count UTF-16 characters, a tab as one).</summary>
public readonly record struct Position(int Line, int Column);
