namespace MiniVm.NativeCode.Memory;

/// <summary>
/// The operating system refused executable memory (out of address space or mappings, or a
/// security policy forbids executable mappings). Nothing of the failed installation is left
/// executable; a JIT should treat this as "cannot compile" and keep interpreting.
/// </summary>
public sealed class ExecutableMemoryException : Exception
{
    /// <summary>Creates the exception for a failed system call.</summary>
    /// <param name="message">What was attempted and why it failed.</param>
    /// <param name="errno">The <c>errno</c> the call left, or 0 when none applies.</param>
    public ExecutableMemoryException(string message, int errno)
        : base(message)
    {
        ErrorCode = errno;
    }

    /// <summary>The <c>errno</c> of the failed system call (0 when none applies).</summary>
    public int ErrorCode { get; }
}
