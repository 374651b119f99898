namespace MiniVm.Tests;

/// <summary>
/// A short, seeded run of the compiler fuzzer (tests/fuzz, the same harness the long runs use)
/// inside the normal test command: random tokens, random characters, grammar-aware programs,
/// corrupted programs and corrupted corpus programs must give diagnostics or a module — never
/// an exception — and every module the compiler produces must load (caps and verifier).
/// </summary>
public sealed class CompilerFuzzTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ShortFuzzRunFindsNothing(ulong seed)
    {
        // tests/fuzz/run compiler --seed 1 --count 8000 makes the same inputs.
        var report = FuzzSessions.RunAndExpectNoFinding(FuzzSessions.Compiler, seed, 8_000);

        // The generators must stay useful: most grammar programs compile (so code generation and
        // the verifier are exercised), and every generator reaches the compiler.
        long grammar = report.OutcomeCount(o => o.StartsWith("grammar: ", StringComparison.Ordinal));
        long compiled = report.OutcomeCount(o => o == "grammar: compiled");
        Assert.True(compiled > grammar / 2, $"only {compiled} of {grammar} grammar programs compile: " + report.Summary());
        foreach (string generator in new[] { "tokens", "characters", "grammar", "grammar+corrupted", "corpus+corrupted" })
            Assert.True(report.OutcomeCount(o => o.StartsWith(generator + ": ", StringComparison.Ordinal)) > 0, $"no input from {generator}");
    }
}
