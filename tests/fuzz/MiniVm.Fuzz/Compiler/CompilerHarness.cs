using System.Text;
using System.Text.RegularExpressions;
using MiniVm.Compiler;
using MiniVm.Fuzz.Engine;

namespace MiniVm.Fuzz.Compiler;

/// <summary>
/// The compiler against hostile source: every input must give diagnostics (each with an MVM
/// code and a position inside the text) or a module, never an exception, and every module it
/// gives must load — the loader's caps and the verifier accept what the compiler writes.
/// Inputs come from five generators (the label in the outcome counts): random tokens, random
/// characters, grammar-aware programs, the same with tokens or characters corrupted, and the
/// test corpus's programs corrupted.
/// </summary>
public sealed partial class CompilerHarness(IReadOnlyList<string> corpusSources) : IFuzzHarness
{
    private const string SourceName = "fuzz.expr";

    /// <summary>Fixed cost plus a multiple of the source: tokens, syntax tree, symbols and code are
    /// each linear in it; a quadratic pass on a few kilobytes of input overruns this at once.</summary>
    public const long FixedAllocationAllowance = 4 << 20;
    public const long AllocationPerInputByte = 2048;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public string Name => "compiler";
    public string InputExtension => ".expr";

    /// <summary>The sources of tests/programs/**/*.expr, in ordinal path order.</summary>
    public static IReadOnlyList<string> ReadCorpus(string programsDirectory) =>
        Directory.EnumerateFiles(programsDirectory, "*.expr", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .ToArray();

    public FuzzInput Generate(ulong seed, long index)
    {
        var random = new FuzzRandom(seed, index);
        int kind = random.Next(100);
        (string source, string generator) = kind switch
        {
            < 15 => (SourceText.Join(SourceText.RandomTokens(random), random), "tokens"),
            < 25 => (SourceText.RandomCharacters(random), "characters"),
            < 60 => (SourceText.Join(ProgramGenerator.Generate(random), random), "grammar"),
            < 85 => (CorruptedProgram(random), "grammar+corrupted"),
            _ => (CorruptedCorpusProgram(random), "corpus+corrupted"),
        };
        return new FuzzInput(Utf8.GetBytes(source), generator);
    }

    private static string CorruptedProgram(FuzzRandom random)
    {
        var tokens = ProgramGenerator.Generate(random);
        if (random.Chance(25)) return SourceText.CorruptCharacters(SourceText.Join(tokens, random), random);
        SourceText.CorruptTokens(tokens, random);
        return SourceText.Join(tokens, random);
    }

    private string CorruptedCorpusProgram(FuzzRandom random)
    {
        string source = random.Pick(corpusSources);
        if (random.Chance(25)) return SourceText.CorruptCharacters(source, random);
        var tokens = SourceText.Split(source);
        SourceText.CorruptTokens(tokens, random);
        return string.Concat(tokens);
    }

    public long AllocationBound(FuzzInput input) => FixedAllocationAllowance + AllocationPerInputByte * input.Data.Length;

    public string Execute(FuzzInput input)
    {
        string source = Utf8.GetString(input.Data);
        var result = MiniVmCompiler.Compile(source, SourceName);
        if (!result.Success)
        {
            CheckDiagnostics(result, source);
            return "diagnostics " + result.Diagnostics.First(d => d.IsError).Code;
        }
        if (result.Diagnostics.Any(d => d.IsError))
            throw new FuzzInvariantException("a module came with errors");
        try
        {
            MiniVmModule.Load(result.ToBytes(), "fuzz.txtc").Dispose();
        }
        catch (MiniVmLoadException e)
        {
            throw new FuzzInvariantException($"the compiler wrote a file the loader rejects: {e.Detail}");
        }
        return "compiled";
    }

    private static void CheckDiagnostics(CompileResult result, string source)
    {
        if (!result.Diagnostics.Any(d => d.IsError))
            throw new FuzzInvariantException("the compile failed without an error");
        int lines = 1 + source.Count(c => c == '\n');
        foreach (var d in result.Diagnostics)
        {
            if (!CodePattern().IsMatch(d.Code))
                throw new FuzzInvariantException($"a diagnostic without an MVM code: {d}");
            if (d.Path != SourceName || d.Line < 1 || d.Line > lines || d.Column < 1 || d.Message.Length == 0)
                throw new FuzzInvariantException($"a diagnostic with a bad position or message: {d}");
        }
    }

    [GeneratedRegex(@"^MVM[1-4]\d{3}$")]
    private static partial Regex CodePattern();
}
