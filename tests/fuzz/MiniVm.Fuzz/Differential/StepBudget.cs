using System.Globalization;

namespace MiniVm.Fuzz.Differential;

/// <summary>
/// The step budget a program runs with (<see cref="MiniVmOptions.MaxSteps"/>). Every differential
/// run has one, so a generator bug that makes an endless loop ends in the ordinary run-time error
/// <c>execution budget exhausted</c>, at the same step in every tier, instead of hanging the
/// harness. A program may ask for a smaller budget in a comment line of its header,
/// <c># max-steps: N</c>: the generator does for a few programs, so that the budget stops them
/// part-way, and the program corpus honours the line too, so such a program can become a
/// regression test as it is.
/// </summary>
public static class StepBudget
{
    /// <summary>Far more than any generated program needs (they take thousands to a few hundred
    /// thousand steps), and about a second of an endless loop in the interpreter.</summary>
    public const long Default = 50_000_000;

    private const string Prefix = "# max-steps: ";

    public static string Header(long steps) => Prefix + steps.ToString(CultureInfo.InvariantCulture);

    public static bool IsHeader(string line) => line.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The budget asked for by a <c># max-steps: N</c> line among the comment lines that
    /// open <paramref name="source"/>, or null.</summary>
    public static long? Read(string source)
    {
        foreach (string line in source.Split('\n'))
        {
            if (!line.StartsWith('#')) break;
            if (line.StartsWith(Prefix, StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(Prefix.Length).TrimEnd('\r'), NumberStyles.None, CultureInfo.InvariantCulture, out long steps))
                return steps;
        }
        return null;
    }
}
