namespace MiniVm.Fuzz.Engine;

/// <summary>One generated input: its bytes, and which generator made it (for the outcome counts).</summary>
public sealed record FuzzInput(byte[] Data, string Generator);

/// <summary>
/// A fuzz target. The runner asks it for input number N of a seed, runs it, and treats any
/// exception that escapes <see cref="Execute"/> as a finding; so a harness catches the
/// documented outcome itself (a <see cref="MiniVmLoadException"/>, compile diagnostics) and
/// throws <see cref="FuzzInvariantException"/> when a promise is broken in another way.
/// </summary>
public interface IFuzzHarness
{
    /// <summary>The name used on the command line and in finding file names.</summary>
    string Name { get; }

    /// <summary>The extension of saved inputs (".txtc", ".expr").</summary>
    string InputExtension { get; }

    /// <summary>Input number <paramref name="index"/> of the run with <paramref name="seed"/>: a pure
    /// function of the two and the harness's corpus, safe to call from any thread.</summary>
    FuzzInput Generate(ulong seed, long index);

    /// <summary>Runs one input; returns a short label of what happened ("loaded",
    /// "rejected: truncated"), from a small fixed set, for the run's outcome counts.</summary>
    string Execute(FuzzInput input);

    /// <summary>The most bytes <see cref="Execute"/> may allocate for <paramref name="input"/>;
    /// more is a finding (a length field trusted, a quadratic blow-up).</summary>
    long AllocationBound(FuzzInput input);
}

/// <summary>A harness's own check failed: the input was handled without a crash, but wrongly.</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);
