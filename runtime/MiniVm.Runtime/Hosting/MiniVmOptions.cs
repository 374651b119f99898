using MiniVm.Bytecode.Settings;

namespace MiniVm;

/// <summary>
/// How a module runs. Every setting left null is taken, in this order, from the environment
/// (<c>MINIVM_TIER</c>, <c>MINIVM_JIT_THRESHOLD</c>, <c>MINIVM_MAX_DEPTH</c>), then from the
/// application's <c>runtimeconfig.json</c> (<c>MiniVm.Tier</c>, <c>MiniVm.JitThreshold</c>,
/// <c>MiniVm.MaxDepth</c>, read through <see cref="AppContext"/>), then from the defaults.
/// </summary>
public sealed class MiniVmOptions
{
    public const int DefaultMaxDepth = 10_000;
    public const int DefaultJitThreshold = 500;

    /// <summary>The default tier: interpret first, compile what is hot (where the JIT runs: Linux
    /// on x86-64; elsewhere the <c>jit</c> and <c>tiered</c> modes run the interpreter).</summary>
    public const MiniVmTier DefaultTier = MiniVmTier.Tiered;

    /// <summary>The execution tier.</summary>
    public MiniVmTier? Tier { get; set; }

    /// <summary>Calls (and loop iterations) before the tiered mode compiles a function.</summary>
    public int? JitThreshold { get; set; }

    /// <summary>The most MiniVm calls that may be active at once (default 10,000).</summary>
    public int? MaxDepth { get; set; }

    /// <summary>The most steps one <see cref="MiniVmInstance.Run()"/> or <see cref="MiniVmInstance.Call(string, MiniVmValue[])"/>
    /// may take, a step being a MiniVm call or a loop iteration (a back-edge taken): past it the
    /// run stops with the run-time error <c>execution budget exhausted (N steps)</c>, at the same
    /// step in every tier. Null (the default): no limit. See docs/security.md.</summary>
    public long? MaxSteps { get; set; }

    /// <summary>Where <c>print</c> writes (default: <see cref="Console.Out"/>).</summary>
    public TextWriter? Output { get; set; }

    /// <summary>If set, the JIT writes each function it compiles here as annotated x86-64 assembly
    /// (<c>dotnet minivm run --dump-asm</c>).</summary>
    public TextWriter? AssemblyListing { get; set; }

    /// <summary>If set, the JIT writes a line here for each compile, recompile, on-stack
    /// replacement and deoptimization, with its reason (<c>dotnet minivm run --jit-log</c>).</summary>
    public TextWriter? JitLog { get; set; }

    /// <summary>A testing mode (HotSpot's <c>-XX:+DeoptimizeALot</c> in spirit): in the tiered mode,
    /// every guard of optimized code deoptimizes the first time it is reached, whether or not its
    /// bet holds, so every deoptimization exit's rebuilt frame is exercised. Output must not change.
    /// It holds for the module's compiled code from the first instance that asks on.</summary>
    public bool ForceDeoptimization { get; set; }

    /// <summary>In the tiered mode, optimizing compiles put the bodies of small leaf callees inline
    /// (the default). False keeps every call a call (HotSpot's <c>-XX:-Inline</c>; <c>run --no-inline</c>),
    /// to see a callee compiled and deoptimized on its own. It holds for the module's compiled code
    /// from the first instance that asks on.</summary>
    public bool Inlining { get; set; } = true;

    /// <summary>Parses a tier name as users type it: <c>interpreter</c>, <c>jit</c>, <c>tiered</c> (any case).</summary>
    public static bool TryParseTier(string? text, out MiniVmTier tier)
    {
        // RunSettings.TierNames is in MiniVmTier's order.
        int index = RunSettings.TierIndex(text);
        tier = (MiniVmTier)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>Applies the precedence (options, environment, runtimeconfig.json, defaults) and checks every value.</summary>
    internal ResolvedOptions Resolve()
    {
        var tier = Tier ?? ReadSetting(RunSettings.TierVariable, RunSettings.TierConfigName, ParseTier) ?? DefaultTier;
        int threshold = JitThreshold ?? ReadSetting(RunSettings.JitThresholdVariable, RunSettings.JitThresholdConfigName,
            text => RunSettings.ParseCount(text, RunSettings.MinJitThreshold)) ?? DefaultJitThreshold;
        int maxDepth = MaxDepth ?? ReadSetting(RunSettings.MaxDepthVariable, RunSettings.MaxDepthConfigName,
            text => RunSettings.ParseCount(text, RunSettings.MinMaxDepth)) ?? DefaultMaxDepth;
        if (threshold < 0) throw new ArgumentException($"the JIT threshold must be 0 or more, not {threshold}");
        if (maxDepth < 1) throw new ArgumentException($"the call depth limit must be at least 1, not {maxDepth}");
        if (MaxSteps < 0) throw new ArgumentException($"the step budget must be 0 or more, not {MaxSteps}");
        return new ResolvedOptions(tier, threshold, maxDepth, Output ?? Console.Out, AssemblyListing, JitLog, ForceDeoptimization, MaxSteps, Inlining);
    }

    private static T? ReadSetting<T>(string environmentVariable, string configName, Func<string, T?> parse) where T : struct
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(environmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            return parse(fromEnvironment) ?? throw new ArgumentException($"{environmentVariable}: '{fromEnvironment}' is not a valid value");
        if (AppContext.GetData(configName) is { } data && data.ToString() is { Length: > 0 } fromConfig)
            return parse(fromConfig) ?? throw new ArgumentException($"runtimeconfig.json {configName}: '{fromConfig}' is not a valid value");
        return null;
    }

    private static MiniVmTier? ParseTier(string text) => TryParseTier(text, out var tier) ? tier : null;
}

/// <summary>Options after precedence and validation.</summary>
internal sealed record ResolvedOptions(MiniVmTier Tier, int JitThreshold, int MaxDepth, TextWriter Output, TextWriter? AssemblyListing,
    TextWriter? JitLog, bool ForceDeoptimization, long? MaxSteps, bool Inlining);
