using System.Text;
using MiniVm.Compiler;

namespace MiniVm.Tests;

/// <summary>
/// A short, seeded fuzz run of the compiler inside the normal test command: random token streams
/// and random characters must give diagnostics or a module — never an exception — and every module
/// the compiler produces must pass the verifier. (Long runs and grammar-aware generators belong to
/// the hardening work; this keeps the basic promise tested on every build.)
/// </summary>
public sealed class CompilerFuzzTests
{
    private static readonly string[] Lexicon =
    [
        "fn", "let", "if", "else", "while", "break", "continue", "return", "and", "or", "not", "true", "false", "none",
        "x", "y", "f", "g", "print", "sqrt", "min", "int", "str", "0", "1", "42", "9223372036854775807", "9223372036854775808",
        "1.5", "1e9", "2.5e-3", "\"s\"", "\"a\\nb\"", "\"bad\\q\"", "\"open", "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=",
        "=", "(", ")", "{", "}", ",", ";", "#c\n", "\n", "@", "!", ".", "1.", ".5", "12abc",
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomTokenStreamsGiveDiagnosticsOrVerifiedModules(int seed)
    {
        var random = new Random(seed);
        int modules = 0;
        for (int n = 0; n < 3000; n++)
        {
            var source = new StringBuilder();
            int length = random.Next(1, 60);
            for (int i = 0; i < length; i++) source.Append(Lexicon[random.Next(Lexicon.Length)]).Append(' ');
            modules += CompileChecked(source.ToString());
        }
        Assert.True(modules > 0, "no random input compiled: the generator is too hostile to test code generation");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void RandomCharactersGiveDiagnosticsOrVerifiedModules(int seed)
    {
        var random = new Random(seed);
        const string alphabet = "fnletwhilreturnxy0123456789.e+-*/%=<>!(){},;\"\\# \n\t\u00e9";
        for (int n = 0; n < 3000; n++)
        {
            var source = new char[random.Next(0, 80)];
            for (int i = 0; i < source.Length; i++) source[i] = alphabet[random.Next(alphabet.Length)];
            CompileChecked(new string(source));
        }
    }

    /// <summary>Compiles; a module must load (verify) and its bytes must round-trip. Returns 1 for a module.</summary>
    private static int CompileChecked(string source)
    {
        CompileResult result;
        try
        {
            result = MiniVmCompiler.Compile(source, "fuzz.expr");
        }
        catch (Exception e)
        {
            Assert.Fail($"the compiler threw {e.GetType().Name}: {e.Message}\nfor input:\n{source}");
            return 0;
        }
        if (!result.Success)
        {
            Assert.NotEmpty(result.Diagnostics);
            Assert.All(result.Diagnostics, d => Assert.Matches(@"^MVM\d{4}$", d.Code));
            return 0;
        }
        try
        {
            MiniVmModule.Load(result.ToBytes(), "fuzz.txtc");
        }
        catch (MiniVmLoadException e)
        {
            Assert.Fail($"the compiler produced a module the verifier rejects: {e.Message}\nfor input:\n{source}");
        }
        return 1;
    }
}
