namespace MiniVm.Sdk.Tasks;

/// <summary>
/// The codes of the diagnostics MiniVm.Sdk itself reports (the compiler's own are MVM1xxx–MVM4xxx).
/// 5xxx: the build. Codes never change meaning once shipped: build logs, docs/msbuild-sdk.md and
/// users' NoWarn/WarningsAsErrors lists refer to them.
/// </summary>
public static class SdkDiagnostics
{
    /// <summary><c>MiniVmTier</c> is not interpreter, jit or tiered.</summary>
    public const string InvalidTier = "MVM5001";

    /// <summary><c>MiniVmJitThreshold</c> is not a whole number of at least 0.</summary>
    public const string InvalidJitThreshold = "MVM5002";

    /// <summary><c>MiniVmMaxDepth</c> is not a whole number of at least 1.</summary>
    public const string InvalidMaxDepth = "MVM5003";

    /// <summary>The exec host's entry point (<c>MiniVmEntryPoint</c>, default main.expr) is not a MiniVmCompile item.</summary>
    public const string EntryPointNotFound = "MVM5004";

    /// <summary>A source file is missing, unreadable, or not UTF-8 text.</summary>
    public const string CannotReadSource = "MVM5005";

    /// <summary>An output file could not be written.</summary>
    public const string CannotWriteOutput = "MVM5006";

    /// <summary>Two MiniVmCompile items would produce the same output file.</summary>
    public const string DuplicateOutput = "MVM5007";

    /// <summary>The build was canceled while files were being compiled.</summary>
    public const string Canceled = "MVM5008";

    /// <summary>The compiler failed unexpectedly (a bug in MiniVm, reported instead of crashing the build).</summary>
    public const string InternalError = "MVM5900";
}
