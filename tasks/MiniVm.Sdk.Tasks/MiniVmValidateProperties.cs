using Microsoft.Build.Framework;
using MiniVm.Bytecode.Settings;

namespace MiniVm.Sdk.Tasks;

/// <summary>
/// Checks the properties a project sets, before anything is compiled or written:
/// <c>MiniVmTier</c>, <c>MiniVmJitThreshold</c> and <c>MiniVmMaxDepth</c> with the same rules the
/// runtime applies when it reads them back from runtimeconfig.json (<see cref="RunSettings"/>,
/// shared with the runtime; MVM5001–MVM5003), so a bad
/// value is a build error instead of a program that fails when it starts; and, when the exec host
/// is compiled in, that <c>MiniVmEntryPoint</c> names one of the scripts (MVM5004). Every problem
/// is reported, not only the first. An empty value means "not set" and is always valid.
/// </summary>
public sealed class MiniVmValidateProperties : Microsoft.Build.Utilities.Task
{
    /// <summary>The project file, named as the location of the errors.</summary>
    public string? ProjectFile { get; set; }

    /// <summary>The value of <c>MiniVmTier</c>: interpreter, jit or tiered, in any case.</summary>
    public string? Tier { get; set; }

    /// <summary>The value of <c>MiniVmJitThreshold</c>: a whole number, 0 or more.</summary>
    public string? JitThreshold { get; set; }

    /// <summary>The value of <c>MiniVmMaxDepth</c>: a whole number, 1 or more.</summary>
    public string? MaxDepth { get; set; }

    /// <summary>The script the exec host runs (<c>MiniVmEntryPoint</c>), relative to the project.</summary>
    public string? EntryPoint { get; set; }

    /// <summary>True when the exec host is compiled into the project, so the entry point must be a script of it.</summary>
    public bool EntryPointRequired { get; set; }

    /// <summary>The <c>MiniVmCompile</c> items (for the entry point check).</summary>
    public ITaskItem[] Scripts { get; set; } = [];

    /// <summary>The project's directory (for the entry point check).</summary>
    public string? ProjectDirectory { get; set; }

    public override bool Execute()
    {
        try
        {
            if (!IsBlank(Tier) && RunSettings.TierIndex(Tier) < 0)
                Error(SdkDiagnostics.InvalidTier, $"MiniVmTier is '{Tier}'; it must be Interpreter, Jit or Tiered (any case)");
            if (!IsBlank(JitThreshold) && RunSettings.ParseCount(JitThreshold, RunSettings.MinJitThreshold) is null)
                Error(SdkDiagnostics.InvalidJitThreshold, $"MiniVmJitThreshold is '{JitThreshold}'; it must be a whole number from 0 to {int.MaxValue}");
            if (!IsBlank(MaxDepth) && RunSettings.ParseCount(MaxDepth, RunSettings.MinMaxDepth) is null)
                Error(SdkDiagnostics.InvalidMaxDepth, $"MiniVmMaxDepth is '{MaxDepth}'; it must be a whole number from 1 to {int.MaxValue}");
            if (EntryPointRequired) CheckEntryPoint();
        }
        catch (Exception e)
        {
            Log.LogError(null, SdkDiagnostics.InternalError, null, ProjectFile, 0, 0, 0, 0, "{0}", $"internal error in MiniVm.Sdk: {e}");
        }
        return !Log.HasLoggedErrors;
    }

    private void CheckEntryPoint()
    {
        string entry = IsBlank(EntryPoint) ? "main.expr" : EntryPoint!.Trim();
        string wanted = MiniVmPrepareCompile.TargetPath(MiniVmPrepareCompile.Normalize(entry));
        string projectDirectory = Path.GetFullPath(string.IsNullOrEmpty(ProjectDirectory) ? "." : ProjectDirectory!);
        bool found = Scripts.Any(script =>
        {
            string fullPath = Path.GetFullPath(Path.Combine(projectDirectory, script.ItemSpec));
            string relative = MiniVmPrepareCompile.RelativePath(projectDirectory, fullPath, script.GetMetadata("Link"));
            return string.Equals(MiniVmPrepareCompile.TargetPath(relative), wanted, MiniVmPrepareCompile.PathComparison);
        });
        if (found) return;
        string available = Scripts.Length == 0 ? "the project has no MiniVmCompile items" : "its scripts are " + string.Join(", ", Scripts.Select(s => s.ItemSpec));
        Error(SdkDiagnostics.EntryPointNotFound,
            $"the program's entry point '{entry}' is not one of the project's MiniVmCompile items ({available}); add {entry}, or set MiniVmEntryPoint to the script to run");
    }

    private void Error(string code, string message) =>
        Log.LogError(null, code, null, ProjectFile, 0, 0, 0, 0, "{0}", message);

    private static bool IsBlank(string? value) => string.IsNullOrWhiteSpace(value);

}
