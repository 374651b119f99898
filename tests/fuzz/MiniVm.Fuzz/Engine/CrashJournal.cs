using System.IO.MemoryMappedFiles;

namespace MiniVm.Fuzz.Engine;

/// <summary>
/// Remembers which input is running, in a small memory-mapped file: the kernel keeps the page
/// when the process dies, so after an input kills it (a stack overflow cannot be caught in
/// .NET) <c>tests/fuzz/run</c> can read the seed and number and save that input. Writing a
/// mapped page costs nanoseconds, so it is done for every input.
/// </summary>
public sealed class CrashJournal : IDisposable
{
    private const long Magic = 0x4C4E524A5A5A5546;   // "FUZZJRNL"
    private const int Size = 32;                      // magic, seed, input number, running flag

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;

    public CrashJournal(string path, ulong seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Create, null, Size);
        _view = _file.CreateViewAccessor(0, Size);
        _view.Write(0, Magic);
        _view.Write(8, seed);
        _view.Write(16, -1L);
        _view.Write(24, 1L);
    }

    /// <summary>Input <paramref name="index"/> is about to run.</summary>
    public void Record(long index) => _view.Write(16, index);

    /// <summary>The run ended normally: nothing to recover.</summary>
    public void Dispose()
    {
        _view.Write(24, 0L);
        _view.Dispose();
        _file.Dispose();
    }

    /// <summary>The seed and input number a run was at when its process died, or null if it ended normally.</summary>
    public static (ulong Seed, long Index)? ReadCrashed(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length < Size) return null;
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        long magic = reader.ReadInt64();
        ulong seed = reader.ReadUInt64();
        long index = reader.ReadInt64();
        long running = reader.ReadInt64();
        return magic == Magic && running != 0 && index >= 0 ? (seed, index) : null;
    }
}
