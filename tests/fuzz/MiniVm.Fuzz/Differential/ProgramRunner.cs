using MiniVm.Compiler;

namespace MiniVm.Fuzz.Differential;

/// <summary>
/// Runs a program through the public API exactly as <c>dotnet minivm run</c> does: compile
/// (diagnostics → exit 2), write and re-load the <c>.txtc</c> bytes (so every program also
/// round-trips through the file format and the verifier), run (a run-time error → exit 1).
/// Exceptions other than the program's own error propagate: the caller decides what a crash is.
/// </summary>
public static class ProgramRunner
{
    /// <param name="specialize">False runs the interpreter without its superinstructions.</param>
    public static ProgramOutcome Run(string source, string sourceName, MiniVmOptions options, bool specialize = true,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var compiled = MiniVmCompiler.Compile(source, sourceName);
        if (compiled.Module is null)
            return new ProgramOutcome("", string.Concat(compiled.Diagnostics.Select(d => d + "\n")), ProgramOutcome.CompileErrors);
        string fileName = sourceName.Replace(".expr", ".txtc", StringComparison.Ordinal);
        using var module = specialize ? MiniVmModule.Load(compiled.ToBytes(), fileName) : MiniVmModule.LoadUnspecialized(compiled.ToBytes(), fileName);
        var stdout = new StringWriter { NewLine = "\n" };
        options.Output = stdout;
        try
        {
            module.CreateInstance(options).Run(cancellationToken);
            return new ProgramOutcome(stdout.ToString(), "", ProgramOutcome.Success);
        }
        catch (MiniVmRuntimeException e)
        {
            return new ProgramOutcome(stdout.ToString(), e.FormatReport(), ProgramOutcome.RuntimeError);
        }
    }
}
