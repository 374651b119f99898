using System.Globalization;

namespace MiniVm.Bytecode.Settings;

/// <summary>
/// The run-time settings' names and parsing rules, in one place for the two sides that use them:
/// the runtime, which reads them from the environment and runtimeconfig.json, and the MSBuild task,
/// which validates the project's properties before writing them there. They live in this
/// assembly because the task loads it (the task never loads the runtime).
/// </summary>
public static class RunSettings
{
    public const string TierConfigName = "MiniVm.Tier";
    public const string JitThresholdConfigName = "MiniVm.JitThreshold";
    public const string MaxDepthConfigName = "MiniVm.MaxDepth";

    public const string TierVariable = "MINIVM_TIER";
    public const string JitThresholdVariable = "MINIVM_JIT_THRESHOLD";
    public const string MaxDepthVariable = "MINIVM_MAX_DEPTH";

    /// <summary>The least JIT threshold (0: compile at once) and call depth limit.</summary>
    public const int MinJitThreshold = 0;
    public const int MinMaxDepth = 1;

    /// <summary>The tier names users type, lower-case; any case is accepted.</summary>
    public static IReadOnlyList<string> TierNames { get; } = ["interpreter", "jit", "tiered"];

    /// <summary>The index in <see cref="TierNames"/> of a tier name in any case (surrounding blanks ignored), or -1.</summary>
    public static int TierIndex(string? text)
    {
        string normalized = text?.Trim().ToLowerInvariant() ?? "";
        for (int i = 0; i < TierNames.Count; i++)
            if (TierNames[i] == normalized) return i;
        return -1;
    }

    /// <summary>A count setting: digits only (no sign, no separators), an int, at least <paramref name="minimum"/>.</summary>
    public static int? ParseCount(string? text, int minimum) =>
        int.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= minimum ? value : null;
}
