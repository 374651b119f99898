namespace MiniVm.Fuzz.Engine;

/// <summary>How long a run is, where it starts, and where its findings go.</summary>
public sealed class FuzzSettings
{
    public ulong Seed { get; init; }

    /// <summary>The first input number (to reproduce input N alone: start N, count 1).</summary>
    public long Start { get; init; }

    /// <summary>Stop after this many inputs (and/or after <see cref="Duration"/>); neither set: one input.</summary>
    public long? Count { get; init; }

    public TimeSpan? Duration { get; init; }

    /// <summary>An input running longer than this is a hang. Generous: inputs take microseconds,
    /// and a loaded machine or a garbage collection must not make a finding.</summary>
    public TimeSpan InputTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where findings are saved (created on the first finding).</summary>
    public required string FindingsDirectory { get; init; }

    /// <summary>Distinct findings saved before the run stops early.</summary>
    public int MaxDistinctFindings { get; init; } = 20;

    /// <summary>Progress lines go here (null: none).</summary>
    public TextWriter? Progress { get; init; }

    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>If set, the number of the input being run is kept in this file (memory-mapped), so
    /// an input that kills the process (a stack overflow) can be found and saved afterwards.</summary>
    public string? JournalPath { get; init; }
}
