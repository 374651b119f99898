using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MiniVm.Fuzz.Differential.Generation;
using MiniVm.Fuzz.Differential.Minimization;
using MiniVm.Fuzz.Engine;

namespace MiniVm.Fuzz.Differential;

/// <summary>
/// The differential harness: input n of a seed is a generated program
/// (<see cref="DifferentialProgramGenerator"/>), run in the reference mode (the interpreter) and in
/// every other mode of <see cref="ExecutionModes.All"/>; any difference in stdout, stderr (the
/// error and its trace) or exit code is a finding. A program that does not compile is a finding
/// too (a generator bug). Every run has a step budget (<see cref="StepBudget"/>), so a program
/// that would not end stops with the same run-time error everywhere instead of hanging the run.
/// A finding is shrunk (<see cref="ProgramMinimizer"/>) to a program that still compiles and still
/// shows a difference between the same two modes, saved beside the original as <c>-min.expr</c>.
/// </summary>
public sealed partial class DifferentialHarness : IMinimizingHarness
{
    /// <summary>The name every program runs under (it appears in traces).</summary>
    public const string SourceName = "diff.expr";

    /// <summary>While shrinking, the budget is at most this: a candidate that lost its loop's step
    /// (an endless loop) then ends in a fraction of a second. The result is checked at the full budget.</summary>
    private const long ShrinkingMaxSteps = 2_000_000;

    private static readonly TimeSpan CandidateTimeout = TimeSpan.FromSeconds(20);

    private readonly ExecutionMode _reference;
    private readonly IReadOnlyList<ExecutionMode> _modes;
    private readonly long _maxSteps;

    /// <param name="reference">The mode the others are compared with.</param>
    /// <param name="modes">The modes compared with it.</param>
    /// <param name="maxSteps">The step budget of a program without its own (<c># max-steps: N</c>).</param>
    public DifferentialHarness(ExecutionMode reference, IReadOnlyList<ExecutionMode> modes, long maxSteps = StepBudget.Default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(modes);
        _reference = reference;
        _modes = modes;
        _maxSteps = maxSteps;
    }

    /// <summary>The interpreter against every other mode of <see cref="ExecutionModes.All"/>.</summary>
    public static DifferentialHarness Create() =>
        new(ExecutionModes.Interpreter, ExecutionModes.All.Where(m => m != ExecutionModes.Interpreter).ToArray());

    public string Name => "differential";

    public string InputExtension => ".expr";

    public IReadOnlyList<ExecutionMode> Modes => _modes;

    public FuzzInput Generate(ulong seed, long index)
    {
        string program = DifferentialProgramGenerator.Generate(seed, index);
        return new FuzzInput(Encoding.UTF8.GetBytes(program), StepBudget.Read(program) is null ? "program" : "program+budget");
    }

    /// <summary>Generated programs are small; their runs in seven modes allocate megabytes, not gigabytes.</summary>
    public long AllocationBound(FuzzInput input) => 4L << 30;

    public string Execute(FuzzInput input)
    {
        var comparison = Compare(Decode(input));
        if (comparison.Expected.ExitCode == ProgramOutcome.CompileErrors)
            throw new FuzzInvariantException($"the program does not compile (a generator bug):\n{comparison.Expected.Stderr}--- program ---\n{comparison.Source}");
        if (!comparison.Agree) throw new FuzzInvariantException(comparison.Describe());
        return Label(comparison.Expected);
    }

    /// <summary>The program run in every mode with its budget.</summary>
    public ModeComparison Compare(string source, CancellationToken cancellationToken = default) =>
        ModeComparison.Run(source, SourceName, _reference, _modes, StepBudget.Read(source) ?? _maxSteps, cancellationToken);

    /// <summary>Shrinks a program some mode runs differently to one that still compiles and still
    /// differs between the reference and the first mode that differed (the same crash, if that mode
    /// crashed); null if the input shows no difference.</summary>
    public MinimizedInput? Minimize(FuzzInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string source = Decode(input);
        var original = Compare(source);
        if (original.Agree || original.Expected.ExitCode == ProgramOutcome.CompileErrors) return null;
        var target = original.Mismatches[0];
        bool originalExhausted = IsBudgetExhausted(original.Expected);

        long budget = original.MaxSteps;
        long shrinking = Math.Min(budget, ShrinkingMaxSteps);
        if (shrinking != budget && !StillDiffers(source, shrinking)) shrinking = budget;
        var result = ProgramMinimizer.Minimize(source, candidate => StillDiffers(candidate, shrinking));

        // The saved program must show the difference as it is replayed: with its own budget.
        string program = WithHeaderLine(result.Program, $"# minimised: {target.Mode.Name} differs from {_reference.Name}");
        if (!StillDiffers(program, StepBudget.Read(program) ?? _maxSteps))
            program = WithHeaderLine(program, StepBudget.Header(shrinking));
        long replayBudget = StepBudget.Read(program) ?? _maxSteps;
        var expected = _reference.Run(program, SourceName, replayBudget);
        var actual = ModeComparison.RunGuarded(target.Mode, program, SourceName, replayBudget, CancellationToken.None);

        var note = new StringBuilder();
        note.Append(CultureInfo.InvariantCulture,
            $"{result.LinesBefore} lines shrunk to {result.LinesAfter} in {result.Tests} tests{(result.Exhausted ? " (stopped at the test or time limit)" : "")}; ");
        note.Append(CultureInfo.InvariantCulture, $"modes: {_reference.Name} (expected) and {target.Mode.Name} (actual), step budget {replayBudget:N0}\n");
        note.Append(ModeComparison.DescribeOne(_reference.Name, expected, new Mismatch(target.Mode, actual)));
        note.Append("--- minimised program ---\n").Append(program);
        return new MinimizedInput(Encoding.UTF8.GetBytes(program), note.ToString());

        bool StillDiffers(string candidate, long steps)
        {
            using var timeout = new CancellationTokenSource(CandidateTimeout);
            try
            {
                var reference = _reference.Run(candidate, SourceName, steps, timeout.Token);
                if (reference.ExitCode == ProgramOutcome.CompileErrors) return false;
                // A candidate that lost its loop's step runs to the budget: never a smaller program worth having.
                if (IsBudgetExhausted(reference) && !originalExhausted) return false;
                var other = ModeComparison.RunGuarded(target.Mode, candidate, SourceName, steps, timeout.Token);
                if (other == reference) return false;
                if (target.Outcome.ExitCode != ProgramOutcome.HostException) return true;
                return other.ExitCode == ProgramOutcome.HostException && other.FirstErrorLine == target.Outcome.FirstErrorLine;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return false; // the reference itself failed on the candidate: another problem, not this one
            }
        }
    }

    private static string Decode(FuzzInput input) => Encoding.UTF8.GetString(input.Data);

    private static bool IsBudgetExhausted(ProgramOutcome outcome) =>
        outcome.FirstErrorLine.StartsWith("error: execution budget exhausted", StringComparison.Ordinal);

    /// <summary>Adds a comment line at the end of the program's header comments (replacing a
    /// <c># max-steps</c> line when it is one).</summary>
    internal static string WithHeaderLine(string program, string line)
    {
        var lines = program.Split('\n').ToList();
        bool isBudget = StepBudget.IsHeader(line);
        int at = 0;
        while (at < lines.Count && lines[at].StartsWith('#'))
        {
            if (isBudget && StepBudget.IsHeader(lines[at]))
            {
                lines[at] = line;
                return string.Join('\n', lines);
            }
            at++;
        }
        lines.Insert(at, line);
        return string.Join('\n', lines);
    }

    /// <summary>How a program ended, for the run's counts: "completed", or the kind of error
    /// (its message with names and numbers taken out).</summary>
    public static string Label(ProgramOutcome outcome)
    {
        if (outcome.ExitCode == ProgramOutcome.Success) return "completed";
        string message = outcome.FirstErrorLine.StartsWith("error: ", StringComparison.Ordinal) ? outcome.FirstErrorLine[7..] : outcome.FirstErrorLine;
        message = Quoted().Replace(message.Replace("()", "", StringComparison.Ordinal), "'…'");
        message = Number().Replace(message, "N");
        int cut = message.IndexOfAny(['(', ':']);
        if (cut > 0) message = message[..cut];
        int not = message.IndexOf(", not", StringComparison.Ordinal);
        if (not > 0) message = message[..not];
        return "error: " + message.Trim();
    }

    [GeneratedRegex("'[^']*'")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"-?\b\d[\w.+-]*")]
    private static partial Regex Number();
}
