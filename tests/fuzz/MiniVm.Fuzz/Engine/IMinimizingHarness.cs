namespace MiniVm.Fuzz.Engine;

/// <summary>
/// A harness whose failing inputs can be shrunk. The runner calls <see cref="Minimize"/> once per
/// distinct finding (not for later inputs with the same signature), outside its timeout, and saves
/// the result beside the input: a failing program of 200 lines is evidence, one of 8 lines is a
/// bug report.
/// </summary>
public interface IMinimizingHarness : IFuzzHarness
{
    /// <summary>A smaller input that fails the same way, with a note on what it shows; null when the
    /// failure does not reproduce (then there is nothing to shrink).</summary>
    MinimizedInput? Minimize(FuzzInput input);
}

/// <summary>A shrunk input and what it shows (the modes, the expected and the actual output).</summary>
public sealed record MinimizedInput(byte[] Data, string Note);
