using System.Globalization;
using System.Text;

namespace MiniVm.Fuzz.Engine;

/// <summary>What a run did: how many inputs, how fast, what happened to them, what it found.</summary>
public sealed class FuzzReport
{
    public required string Harness { get; init; }
    public required ulong Seed { get; init; }
    public required long Start { get; init; }
    public required long Inputs { get; init; }
    public required TimeSpan Elapsed { get; init; }
    public required IReadOnlyList<Finding> Findings { get; init; }

    /// <summary>Inputs per outcome label ("loader/splice: rejected: truncated" and so on).</summary>
    public required IReadOnlyDictionary<string, long> Outcomes { get; init; }

    /// <summary>Why the run ended before its count or time, if it did (a hang, too many findings).</summary>
    public string? StoppedEarly { get; init; }

    public double InputsPerSecond => Elapsed.TotalSeconds > 0 ? Inputs / Elapsed.TotalSeconds : 0;

    public long OutcomeCount(Func<string, bool> match) => Outcomes.Where(o => match(o.Key)).Sum(o => o.Value);

    public string Summary()
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(inv, $"{Harness}: {Inputs:N0} inputs in {Elapsed.TotalSeconds:F1} s ({InputsPerSecond:N0}/s), seed {Seed}{(Start != 0 ? $", from input {Start}" : "")}, {Findings.Count} finding(s)"));
        if (StoppedEarly is not null) text.AppendLine($"stopped early: {StoppedEarly}");
        text.AppendLine("outcomes:");
        foreach (var (label, count) in Outcomes.OrderByDescending(o => o.Value).ThenBy(o => o.Key, StringComparer.Ordinal))
            text.AppendLine(string.Create(inv, $"  {count,12:N0}  {100.0 * count / Math.Max(1, Inputs),6:F2}%  {label}"));
        foreach (var finding in Findings)
            text.AppendLine().AppendLine(finding.ToString());
        return text.ToString();
    }
}
