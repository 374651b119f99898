namespace MiniVm.Tool;

/// <summary>The tool's exit codes (docs and the README list them; scripts depend on them).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int RuntimeError = 1;
    public const int CompileErrorOrUsage = 2;
    public const int LoadError = 3;
    public const int FileError = 4;
}

/// <summary>A failure that ends a command with a message on stderr and an exit code.</summary>
internal sealed class ToolException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
