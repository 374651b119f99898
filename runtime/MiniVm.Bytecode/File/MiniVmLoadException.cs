namespace MiniVm;

/// <summary>
/// The one exception a bad <c>.txtc</c> file raises: wrong magic number, truncated or
/// malformed stream, unknown format version, or code that fails verification. The message
/// names the file and says what was wrong.
/// </summary>
public sealed class MiniVmLoadException : Exception
{
    public MiniVmLoadException(string fileName, string detail)
        : base($"{fileName}: {detail}")
    {
        FileName = fileName;
        Detail = detail;
    }

    /// <summary>The file (or stream name) that failed to load.</summary>
    public string FileName { get; }

    /// <summary>What was wrong, without the file name.</summary>
    public string Detail { get; }
}
