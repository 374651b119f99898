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
    /// What the loader would refuse must be a diagnostic here, not a file that fails to load:
    /// the verifier's format limits (255 parameters, 65,535 locals and an operand stack 65,535
    /// deep per code block) and the loader's default caps (<see cref="LoaderLimits"/>: code bytes,
    /// constants and string lengths per block, functions and globals per module).
    /// </summary>
    private static void CheckFormatLimits(ModuleImage module, ProgramSyntax syntax, DiagnosticBag diagnostics)
    {
        var start = new Source.Position(1, 1);
        if (module.Functions.Length > LoaderLimits.DefaultMaxFunctions)
            diagnostics.Error(start, DiagnosticCode.TooLarge, $"the program has {module.Functions.Length} functions; the limit is {LoaderLimits.DefaultMaxFunctions}");
        if (module.Globals.Length > LoaderLimits.DefaultMaxGlobals)
            diagnostics.Error(start, DiagnosticCode.TooLarge, $"the program has {module.Globals.Length} global variables; the limit is {LoaderLimits.DefaultMaxGlobals}");
        CheckStringLength(module.SourceName, "the source name", start, diagnostics);
        foreach (string global in module.Globals) CheckStringLength(global, $"global '{Shorten(global)}'", start, diagnostics);

        var positions = syntax.Functions.GroupBy(f => f.Name).ToDictionary(g => g.Key, g => g.First().NameAt);
        foreach (var code in module.AllCode())
        {
            var at = code == module.TopLevel ? start : positions[code.Name];
            string block = code == module.TopLevel ? "the top-level code" : $"function '{Shorten(code.Name)}'";
            if (code.ParamCount > LoaderLimits.MaxParameters)
                diagnostics.Error(at, DiagnosticCode.TooLarge, $"{block} has {code.ParamCount} parameters; the limit is {LoaderLimits.MaxParameters}");
            if (code.LocalCount > LoaderLimits.MaxLocals)
                diagnostics.Error(at, DiagnosticCode.TooLarge, $"{block} has {code.LocalCount} local variables; the limit is {LoaderLimits.MaxLocals}");
            if (code.MaxStack > LoaderLimits.MaxStackDepth)
                diagnostics.Error(at, DiagnosticCode.TooLarge, $"{block} needs an operand stack {code.MaxStack} deep; the limit is {LoaderLimits.MaxStackDepth}");
            if (code.Code.Length > LoaderLimits.DefaultMaxCodeSize)
                diagnostics.Error(at, DiagnosticCode.TooLarge, $"{block} compiles to {code.Code.Length} bytes of code; the limit is {LoaderLimits.DefaultMaxCodeSize}");
            if (code.Constants.Length > LoaderLimits.DefaultMaxConstants)
                diagnostics.Error(at, DiagnosticCode.TooLarge, $"{block} has {code.Constants.Length} distinct constants; the limit is {LoaderLimits.DefaultMaxConstants}");
            CheckStringLength(code.Name, block + "'s name", at, diagnostics);
            foreach (var constant in code.Constants)
                if (constant.Kind == ConstantKind.String) CheckStringLength(constant.AsString, $"a string in {block}", at, diagnostics);
            foreach (string local in code.LocalNames.Where(MayBeTooLong).Distinct(StringComparer.Ordinal))
                CheckStringLength(local, $"variable '{Shorten(local)}' in {block}", at, diagnostics);
        }
    }

    /// <summary>A cheap first test: UTF-8 takes at most three bytes per UTF-16 code unit.</summary>
    private static bool MayBeTooLong(string text) => (long)text.Length * 3 > LoaderLimits.DefaultMaxStringLength;

    private static void CheckStringLength(string text, string what, Source.Position at, DiagnosticBag diagnostics)
    {
        if (!MayBeTooLong(text)) return;
        int bytes = System.Text.Encoding.UTF8.GetByteCount(text);
        if (bytes > LoaderLimits.DefaultMaxStringLength)
            diagnostics.Error(at, DiagnosticCode.TooLarge, $"{what} is {bytes} bytes long (UTF-8); the limit is {LoaderLimits.DefaultMaxStringLength}");
    }

    /// <summary>A name as a message shows it: a name of megabytes would make the message unreadable.</summary>
    private static string Shorten(string name) => name.Length <= 40 ? name : name[..40] + "...";
}
