namespace MiniVm.Fuzz.Differential;

/// <summary>What running a program produced, in the tool's terms: stdout, stderr (diagnostics, or
/// the run-time error with its MiniVm trace) and the exit code.</summary>
public sealed record ProgramOutcome(string Stdout, string Stderr, int ExitCode)
{
    public const int Success = 0;
    public const int RuntimeError = 1;
    public const int CompileErrors = 2;

    /// <summary>Not an exit code of the tool: the host saw an exception other than the program's
    /// own error (a crash of the VM). <see cref="Stderr"/> holds the exception.</summary>
    public const int HostException = -1;

    /// <summary>The first line of stderr (the error message), or "".</summary>
    public string FirstErrorLine
    {
        get
        {
            int end = Stderr.IndexOf('\n', StringComparison.Ordinal);
            return end < 0 ? Stderr : Stderr[..end];
        }
    }
}
