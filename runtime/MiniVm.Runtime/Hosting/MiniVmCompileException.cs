using MiniVm.Compiler.Diagnostics;

namespace MiniVm;

/// <summary>Raised by <see cref="MiniVmModule.Compile"/> when the source has errors; carries every diagnostic.</summary>
public sealed class MiniVmCompileException : Exception
{
    public MiniVmCompileException(IReadOnlyList<Diagnostic> diagnostics)
        : base(string.Join("\n", diagnostics))
    {
        Diagnostics = diagnostics;
    }

    public IReadOnlyList<Diagnostic> Diagnostics { get; }
}
