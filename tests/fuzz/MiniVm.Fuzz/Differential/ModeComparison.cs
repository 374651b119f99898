using System.Globalization;
using System.Text;

namespace MiniVm.Fuzz.Differential;

/// <summary>A mode whose run of a program differs from the reference's.</summary>
public sealed record Mismatch(ExecutionMode Mode, ProgramOutcome Outcome);

/// <summary>
/// One program run in the reference mode and in every other mode, and where they differ. Output
/// (stdout), errors with their traces (stderr) and the exit code are compared exactly: every
/// tier promises the same text, not merely an equivalent one.
/// </summary>
public sealed class ModeComparison
{
    public required string Source { get; init; }
    public required ExecutionMode Reference { get; init; }
    public required ProgramOutcome Expected { get; init; }
    public required IReadOnlyList<Mismatch> Mismatches { get; init; }
    public required long MaxSteps { get; init; }

    public bool Agree => Mismatches.Count == 0;

    /// <summary>Runs <paramref name="source"/> in <paramref name="reference"/>, then in each mode.
    /// An exception from a mode other than the reference (a crash of the VM in that tier) is that
    /// mode's outcome, exit code -1; from the reference, it propagates, and a cancellation always does.</summary>
    public static ModeComparison Run(string source, string sourceName, ExecutionMode reference, IEnumerable<ExecutionMode> modes,
        long maxSteps, CancellationToken cancellationToken = default)
    {
        var expected = reference.Run(source, sourceName, maxSteps, cancellationToken);
        var mismatches = new List<Mismatch>();
        if (expected.ExitCode != ProgramOutcome.CompileErrors)
        {
            foreach (var mode in modes)
            {
                var actual = RunGuarded(mode, source, sourceName, maxSteps, cancellationToken);
                if (actual != expected) mismatches.Add(new Mismatch(mode, actual));
            }
        }
        return new ModeComparison { Source = source, Reference = reference, Expected = expected, Mismatches = mismatches, MaxSteps = maxSteps };
    }

    /// <summary>A mode's run, with an exception other than a cancellation as the outcome.</summary>
    public static ProgramOutcome RunGuarded(ExecutionMode mode, string source, string sourceName, long maxSteps, CancellationToken cancellationToken)
    {
        try
        {
            return mode.Run(source, sourceName, maxSteps, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new ProgramOutcome("", $"<host exception> {e}", ProgramOutcome.HostException);
        }
    }

    /// <summary>Which of stdout, stderr and the exit code differ, as "stdout, exit code".</summary>
    public static string Channels(ProgramOutcome expected, ProgramOutcome actual)
    {
        var parts = new List<string>();
        if (expected.Stdout != actual.Stdout) parts.Add("stdout");
        if (expected.Stderr != actual.Stderr) parts.Add("stderr");
        if (expected.ExitCode != actual.ExitCode) parts.Add("exit code");
        return string.Join(", ", parts);
    }

    /// <summary>The first line names the first mode that differs and how (it is the finding's
    /// signature, so one bug seen by many programs is one finding); then the details of every
    /// mode that differs, and the program.</summary>
    public string Describe()
    {
        var first = Mismatches[0];
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{first.Mode.Name} differs from {Reference.Name} in {Channels(Expected, first.Outcome)}\n");
        foreach (var mismatch in Mismatches) text.Append(DescribeOne(Reference.Name, Expected, mismatch));
        text.Append(CultureInfo.InvariantCulture, $"(step budget {MaxSteps:N0}; modes that agree: every other)\n");
        text.Append("--- program ---\n").Append(Source);
        return text.ToString();
    }

    /// <summary>Expected against actual for one mode: exit codes, stderr in full, stdout from its first differing line.</summary>
    public static string DescribeOne(string referenceName, ProgramOutcome expected, Mismatch mismatch)
    {
        var actual = mismatch.Outcome;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"== {mismatch.Mode.Name} (against {referenceName}): {Channels(expected, actual)}\n");
        if (expected.ExitCode != actual.ExitCode) text.Append(CultureInfo.InvariantCulture, $"exit code: expected {expected.ExitCode}, got {actual.ExitCode}\n");
        if (expected.Stderr != actual.Stderr) text.Append(CultureInfo.InvariantCulture, $"stderr expected:\n{Clip(expected.Stderr)}\nstderr got:\n{Clip(actual.Stderr)}\n");
        if (expected.Stdout != actual.Stdout)
        {
            string[] e = expected.Stdout.Split('\n'), a = actual.Stdout.Split('\n');
            int line = 0;
            while (line < e.Length && line < a.Length && e[line] == a[line]) line++;
            text.Append(CultureInfo.InvariantCulture, $"stdout differs first at line {line + 1}: expected '{(line < e.Length ? e[line] : "<end>")}', got '{(line < a.Length ? a[line] : "<end>")}'\n");
            text.Append(CultureInfo.InvariantCulture, $"stdout expected:\n{Clip(expected.Stdout)}\nstdout got:\n{Clip(actual.Stdout)}\n");
        }
        return text.ToString();
    }

    private static string Clip(string text) => text.Length <= 4000 ? text : text[..4000] + "\n<... clipped>";
}
