namespace MiniVm.Fuzz.Differential;

/// <summary>
/// One way of running a program that must not change what it does: a tier with its settings, or
/// a variant of one. <see cref="Run"/> is virtual so tests can plant a mode that misbehaves on
/// purpose (to see the harness and the minimiser catch it).
/// </summary>
public class ExecutionMode(string name, Func<MiniVmOptions> options, bool specialize = true)
{
    public string Name { get; } = name;

    /// <summary>False: the interpreter without its superinstructions (they must change nothing but speed).</summary>
    public bool Specialize { get; } = specialize;

    /// <summary>Fresh options for one run (options hold the output writer, so they are not shared).</summary>
    public MiniVmOptions Options() => options();

    /// <param name="maxSteps">The step budget (null: none).</param>
    public virtual ProgramOutcome Run(string source, string sourceName, long? maxSteps = null, CancellationToken cancellationToken = default)
    {
        var settings = Options();
        settings.MaxSteps = maxSteps;
        return ProgramRunner.Run(source, sourceName, settings, Specialize, cancellationToken);
    }

    public override string ToString() => Name;
}

/// <summary>
/// The execution modes every program must agree on, in one place: the program corpus
/// (<c>ProgramCorpusTests</c>), the opcode and limit tests and the differential harness all take
/// their modes from here, so a new tier is one more line below and every one of them runs it.
/// </summary>
public static class ExecutionModes
{
    /// <summary>The reference: the other modes are compared with it.</summary>
    public static ExecutionMode Interpreter { get; } = new("interpreter", () => new MiniVmOptions { Tier = MiniVmTier.Interpreter });

    /// <summary>The tiers and their settings, <see cref="Interpreter"/> first.</summary>
    public static IReadOnlyList<ExecutionMode> Tiers { get; } =
    [
        Interpreter,
        new("jit", () => new MiniVmOptions { Tier = MiniVmTier.Jit }),
        new("tiered", () => new MiniVmOptions { Tier = MiniVmTier.Tiered }),
        // Threshold 1: functions are compiled (and bet on a profile of one call) almost at once.
        new("tiered-threshold-1", () => new MiniVmOptions { Tier = MiniVmTier.Tiered, JitThreshold = 1 }),
        new("tiered-threshold-0", () => new MiniVmOptions { Tier = MiniVmTier.Tiered, JitThreshold = 0 }),
        // Every guard of optimized code deoptimizes the first time it is reached: the proof that
        // each deoptimization exit rebuilds its frame right.
        new("tiered-forced-deopt", () => new MiniVmOptions { Tier = MiniVmTier.Tiered, JitThreshold = 1, ForceDeoptimization = true }),
    ];

    /// <summary>The interpreter without its superinstructions: not a tier, a variant that must not change behaviour.</summary>
    public static ExecutionMode PlainInterpreter { get; } = new("interpreter-without-superinstructions",
        () => new MiniVmOptions { Tier = MiniVmTier.Interpreter }, specialize: false);

    /// <summary>Every mode: the tiers, then the variants.</summary>
    public static IReadOnlyList<ExecutionMode> All { get; } = [.. Tiers, PlainInterpreter];

    public static ExecutionMode Named(string name) =>
        All.FirstOrDefault(m => m.Name == name) ?? throw new ArgumentException($"no execution mode '{name}' (expected one of {string.Join(", ", All)})", nameof(name));
}
