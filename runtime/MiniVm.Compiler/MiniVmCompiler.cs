using MiniVm.Bytecode.File;
using MiniVm.Bytecode.Model;
using MiniVm.Compiler.CodeGen;
using MiniVm.Compiler.Diagnostics;
using MiniVm.Compiler.Semantics;
using MiniVm.Compiler.Syntax;
using MiniVm.Compiler.Tokens;

namespace MiniVm.Compiler;

/// <summary>The outcome of one compile: a module when there were no errors, and every diagnostic.</summary>
public sealed class CompileResult(ModuleImage? module, IReadOnlyList<Diagnostic> diagnostics)
{
    /// <summary>The compiled module; null when any error was reported.</summary>
    public ModuleImage? Module { get; } = module;

    /// <summary>Every diagnostic, in source order.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; } = diagnostics;

    public bool Success => Module is not null;

    /// <summary>The <c>.txtc</c> bytes of <see cref="Module"/>.</summary>
    public byte[] ToBytes() => TxtcWriter.Write(Module ?? throw new InvalidOperationException("the compile failed; there is no module to write"));
}

/// <summary>
/// The compiler's one entry point: source text → tokens → AST → resolved names → bytecode.
/// Thread-safe and free of global state, so the MSBuild task may compile many files in parallel.
/// </summary>
public static class MiniVmCompiler
{
    /// <summary>Compiles one source file.</summary>
    /// <param name="source">The program text.</param>
    /// <param name="sourceName">The name stored in the module and shown in stack traces: the path
    /// relative to the project, with '/' separators (never an absolute path, for determinism).</param>
    /// <param name="diagnosticPath">The path diagnostics name (as the user or build gave it);
    /// defaults to <paramref name="sourceName"/>.</param>
    public static CompileResult Compile(string source, string sourceName, string? diagnosticPath = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceName);
        var diagnostics = new DiagnosticBag(diagnosticPath ?? sourceName);
        try
        {
            var tokens = Lexer.Tokenize(source, diagnostics);
            var syntax = Parser.Parse(tokens, diagnostics);
            var resolved = Resolver.Resolve(syntax, diagnostics);
            if (diagnostics.HasErrors) return new CompileResult(null, InSourceOrder(diagnostics));
            var module = CodeGenerator.Generate(syntax, resolved, sourceName.Replace('\\', '/'));
            CheckFormatLimits(module, syntax, diagnostics);
            return new CompileResult(diagnostics.HasErrors ? null : module, InSourceOrder(diagnostics));
        }
        catch (InsufficientExecutionStackException)
        {
            // Only reachable on a host thread with an unusually small stack: the parser's own
            // nesting limits keep ordinary threads far from the end.
            diagnostics.Error(new Source.Position(1, 1), DiagnosticCode.NestedTooDeeply, "the program is nested too deeply to compile on this thread's stack");
            return new CompileResult(null, InSourceOrder(diagnostics));
        }
    }

    /// <summary>The stages find errors in their own order (tokens, syntax, names); users read them
    /// by position. The sort is stable, so two errors at one position keep the order they were found in.</summary>
    private static IReadOnlyList<Diagnostic> InSourceOrder(DiagnosticBag diagnostics) =>
        diagnostics.Items.OrderBy(d => d.Line).ThenBy(d => d.Column).ToArray();

    /// <summary>
    /// What the verifier would refuse must be a diagnostic here, not a file that fails to load:
    /// at most 255 parameters, 65,535 locals and an operand stack 65,535 deep per code block.
    /// </summary>
    private static void CheckFormatLimits(ModuleImage module, ProgramSyntax syntax, DiagnosticBag diagnostics)
    {
        var positions = syntax.Functions.GroupBy(f => f.Name).ToDictionary(g => g.Key, g => g.First().NameAt);
        foreach (var code in module.AllCode())
        {
            var at = code == module.TopLevel ? new Source.Position(1, 1) : positions[code.Name];
            string block = code == module.TopLevel ? "the top-level code" : $"function '{code.Name}'";
            if (code.ParamCount > Bytecode.Opcodes.BuiltinInfo.MaxArgumentCount)
                diagnostics.Error(at, DiagnosticCode.TooLarge, $"{block} has {code.ParamCount} parameters; the limit is {Bytecode.Opcodes.BuiltinInfo.MaxArgumentCount}");
            if (code.LocalCount > Bytecode.Verification.Verifier.MaxLocals)
                diagnostics.Error(at, DiagnosticCode.TooLarge, $"{block} has {code.LocalCount} local variables; the limit is {Bytecode.Verification.Verifier.MaxLocals}");
            if (code.MaxStack > Bytecode.Verification.Verifier.MaxStackDepth)
                diagnostics.Error(at, DiagnosticCode.TooLarge, $"{block} needs an operand stack {code.MaxStack} deep; the limit is {Bytecode.Verification.Verifier.MaxStackDepth}");
        }
    }
}
