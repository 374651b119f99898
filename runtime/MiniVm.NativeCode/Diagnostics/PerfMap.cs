using System.Globalization;
using System.Text;

namespace MiniVm.NativeCode.Diagnostics;

/// <summary>
/// Writes a perf map: one <c>START SIZE name</c> line (hexadecimal, no prefix) per compiled
/// function, which <c>perf report</c> and other profilers read from <c>/tmp/perf-PID.map</c> to
/// name samples in code that no ELF file describes. Opt-in (<c>MINIVM_PERF_MAP=1</c> or a map
/// passed in <see cref="Memory.CodeHeapOptions.PerfMap"/>) because it writes to <c>/tmp</c>.
/// </summary>
/// <remarks>
/// <para>Thread-safe: every line is written whole and reaches the operating system before
/// <see cref="Record"/> returns (no buffering), so a profiler reading the file while the process
/// runs, or after it crashed, sees every function installed so far.</para>
/// <para>The format has no way to retract a line: after a module is disposed its addresses may be
/// reused by another module's code, and the older name may then be shown for samples there. The
/// .NET runtime's own perf map (<c>DOTNET_PerfMapEnabled=1</c> or 3) writes the same file through
/// another descriptor; do not enable both, or lines may overwrite each other.</para>
/// </remarks>
public sealed class PerfMap : IDisposable
{
    /// <summary>The environment variable that turns <see cref="Shared"/> on ("1", "true", "yes" or "on").</summary>
    public const string EnvironmentVariable = "MINIVM_PERF_MAP";

    // One lock for every map of the process: two maps of the same file (the shared one and one a
    // host opened itself) then never interleave, because each write first seeks to the end.
    private static readonly Lock s_writeLock = new();
    private static readonly Lazy<PerfMap?> s_shared = new(CreateShared, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FileStream _stream;
    private readonly bool _isShared;
    private bool _disposed;

    /// <summary>Opens (creating if needed) a perf map file for appending.</summary>
    /// <param name="path">The file; perf looks for <see cref="DefaultPath"/>.</param>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be written.</exception>
    public PerfMap(string path)
        : this(path, isShared: false)
    {
    }

    private PerfMap(string path, bool isShared)
    {
        _isShared = isShared;
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
    }

    /// <summary>Where perf looks for this process's map: <c>/tmp/perf-PID.map</c>.</summary>
    public static string DefaultPath => $"/tmp/perf-{Environment.ProcessId}.map";

    /// <summary>
    /// The process-wide map at <see cref="DefaultPath"/> when <c>MINIVM_PERF_MAP</c> enables it
    /// (read once, at first use), else null. It stays open for the life of the process. If the
    /// file cannot be opened, one line on standard error says so and the value is null.
    /// </summary>
    public static PerfMap? Shared => s_shared.Value;

    /// <summary>The file this map appends to.</summary>
    public string Path { get; }

    /// <summary>Whether a value of <c>MINIVM_PERF_MAP</c> turns the shared map on.</summary>
    /// <param name="value">The variable's value, or null when it is not set.</param>
    public static bool IsEnabledValue(string? value) =>
        value?.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";

    /// <summary>Appends the line for one function.</summary>
    /// <param name="start">The function's first byte.</param>
    /// <param name="size">The function's size in bytes.</param>
    /// <param name="name">The function's name; line breaks and other control characters become '?'.</param>
    /// <exception cref="ObjectDisposedException">The map was disposed.</exception>
    /// <exception cref="IOException">The write failed.</exception>
    public void Record(nint start, long size, string name)
    {
        byte[] line = Encoding.UTF8.GetBytes(FormatLine(start, size, name));
        lock (s_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Seek(0, SeekOrigin.End);
            _stream.Write(line);
        }
    }

    /// <summary>Closes the file. Disposing the <see cref="Shared"/> map does nothing: heaps
    /// anywhere in the process may still report to it.</summary>
    public void Dispose()
    {
        if (_isShared)
        {
            return;
        }
        lock (s_writeLock)
        {
            if (!_disposed)
            {
                _disposed = true;
                _stream.Dispose();
            }
        }
    }

    /// <summary>One perf map line, newline included: <c>START SIZE name</c>.</summary>
    internal static string FormatLine(nint start, long size, string name)
    {
        var builder = new StringBuilder(name.Length + 32);
        builder.Append(((ulong)start).ToString("x", CultureInfo.InvariantCulture));
        builder.Append(' ');
        builder.Append(((ulong)size).ToString("x", CultureInfo.InvariantCulture));
        builder.Append(' ');
        if (name.Length == 0)
        {
            builder.Append("[unnamed]");
        }
        foreach (char c in name)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }
        builder.Append('\n');
        return builder.ToString();
    }

    /// <summary>Records a function, ignoring failures: a profiling aid must never make an
    /// installation (which already succeeded) fail.</summary>
    internal void TryRecord(nint start, long size, string name)
    {
        try
        {
            Record(start, size, name);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
        }
    }

    private static PerfMap? CreateShared()
    {
        if (!IsEnabledValue(Environment.GetEnvironmentVariable(EnvironmentVariable)))
        {
            return null;
        }
        string path = DefaultPath;
        try
        {
            return new PerfMap(path, isShared: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"minivm: {EnvironmentVariable} is set but the perf map {path} cannot be written: {e.Message}");
            return null;
        }
    }
}
