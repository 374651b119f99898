using MiniVm.Fuzz.Differential.Generation;
using Xunit.Abstractions;

namespace MiniVm.Tests;

/// <summary>
/// Differential testing of the tiers inside the test command: a short, seeded run of the
/// differential fuzz harness (tests/fuzz, the same harness the long runs use). Each program of
/// <see cref="DifferentialProgramGenerator"/> runs in every mode of <see cref="ExecutionModes.All"/>
/// (the tiers, tiered with thresholds 1 and 0, forced deoptimization, the interpreter without
/// superinstructions) and must give the interpreter's stdout, stderr (the error and its trace) and
/// exit code. Run-time errors (type errors, division by zero, overflow, the call depth limit, the
/// step budget) are expected: every mode must report the same one with the same trace.
/// <para>A difference fails the test with the program, and the finding is saved, with a minimised
/// program, under tests/fuzz/findings (docs/security.md says how to replay it and make it a
/// regression test). <c>tests/fuzz/run differential --seed 20260000 --count 800</c> runs the same
/// programs outside the tests; long runs use other seeds and counts.</para>
/// </summary>
public sealed class JitDifferentialTests(ITestOutputHelper output)
{
    public const ulong Seed = 20_260_000;

    /// <summary>About 18 s of CPU in a Debug build (more wall time on a loaded machine).</summary>
    public const int ProgramCount = 800;

    [Fact]
    public void GeneratedProgramsBehaveAlikeInEveryMode()
    {
        var report = FuzzSessions.RunAndExpectNoFinding(FuzzSessions.Differential, Seed, ProgramCount, maxFindings: 3);
        output.WriteLine(report.Summary());

        // The generator must keep exercising both sides: programs that finish and programs that fail.
        long completed = report.OutcomeCount(o => o.EndsWith(": completed", StringComparison.Ordinal));
        long failed = report.Inputs - completed;
        Assert.True(completed * 4 >= report.Inputs, $"only {completed} of {report.Inputs} programs ran to the end: the generator is too hostile\n{report.Summary()}");
        Assert.True(failed * 10 >= report.Inputs, $"only {failed} of {report.Inputs} programs stopped at a run-time error: the generator is too tame\n{report.Summary()}");
        Assert.True(report.OutcomeCount(o => o.StartsWith("program+budget: ", StringComparison.Ordinal)) > 0, "no program with its own step budget");
    }

    [Fact]
    public void TheHarnessComparesEveryModeWithTheInterpreter()
    {
        Assert.Equal(ExecutionModes.All.Skip(1).Select(m => m.Name), FuzzSessions.Differential.Modes.Select(m => m.Name));
        Assert.Equal("interpreter", ExecutionModes.All[0].Name);
        Assert.Contains("tiered-forced-deopt", ExecutionModes.All.Select(m => m.Name));
        Assert.Contains("interpreter-without-superinstructions", ExecutionModes.All.Select(m => m.Name));
    }

    [Fact]
    public void TheGeneratorIsReproducible()
    {
        for (long n = 0; n < 20; n++)
            Assert.Equal(DifferentialProgramGenerator.Generate(Seed, n), DifferentialProgramGenerator.Generate(Seed, n));
        Assert.NotEqual(DifferentialProgramGenerator.Generate(Seed, 0), DifferentialProgramGenerator.Generate(Seed, 1));
        Assert.NotEqual(DifferentialProgramGenerator.Generate(Seed, 0), DifferentialProgramGenerator.Generate(Seed + 1, 0));
    }
}
