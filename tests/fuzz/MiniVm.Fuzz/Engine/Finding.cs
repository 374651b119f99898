namespace MiniVm.Fuzz.Engine;

/// <summary>
/// Something an input did that it must not: an unexpected exception or a broken invariant
/// ("exception"), too much allocation ("allocation"), no answer within the timeout ("hang"), or
/// killing the process ("crash", saved afterwards from the journal). Findings with the same
/// <see cref="Signature"/> are one finding seen <see cref="Occurrences"/> times; the first input
/// that showed it is saved.
/// </summary>
public sealed class Finding
{
    public required string Kind { get; init; }

    /// <summary>What makes two findings the same bug: the kind, the exception type and the
    /// MiniVm method it came from (or the invariant broken, or the outcome that allocated).</summary>
    public required string Signature { get; init; }

    /// <summary>The number of the first input that showed it.</summary>
    public required long Index { get; init; }

    public required string Generator { get; init; }

    /// <summary>The details: the exception with its stack trace, or the bytes allocated.</summary>
    public required string Description { get; init; }

    /// <summary>Where the input was saved (null if saving failed or was not asked for).</summary>
    public string? InputPath { get; set; }

    /// <summary>Where the minimised input was saved (null: the harness does not minimise, or it did not reproduce).</summary>
    public string? MinimizedPath { get; set; }

    /// <summary>The minimiser's note (what the minimised input shows), if there is one.</summary>
    public string? MinimizedNote { get; set; }

    public long Occurrences { get; set; } = 1;

    public override string ToString() =>
        $"{Kind} at input {Index} ({Generator}), seen {Occurrences} time(s){(InputPath is null ? "" : $", saved as {InputPath}")}"
        + $"{(MinimizedPath is null ? "" : $", minimised as {MinimizedPath}")}:{Environment.NewLine}{Description}"
        + (MinimizedNote is null ? "" : $"{Environment.NewLine}minimised:{Environment.NewLine}{MinimizedNote}");
}
