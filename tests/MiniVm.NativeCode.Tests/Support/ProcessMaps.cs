using System.Globalization;

namespace MiniVm.NativeCode.Tests.Support;

/// <summary>One line of <c>/proc/self/maps</c>: <c>start-end perms offset dev inode path</c>.</summary>
internal sealed record Mapping(ulong Start, ulong End, string Permissions, string Path)
{
    public bool IsReadable => Permissions[0] == 'r';

    public bool IsWritable => Permissions[1] == 'w';

    public bool IsExecutable => Permissions[2] == 'x';

    public ulong Size => End - Start;

    public bool Contains(nint address) => (ulong)address >= Start && (ulong)address < End;

    public bool Overlaps(nint start, long size) => (ulong)start < End && (ulong)start + (ulong)size > Start;

    public override string ToString() => $"{Start:x}-{End:x} {Permissions} {Path}";
}

/// <summary>Reads the process's memory map and status, the ground truth the tests check the
/// code heap against.</summary>
internal static class ProcessMaps
{
    public static IReadOnlyList<Mapping> Read()
    {
        var mappings = new List<Mapping>();
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            // 7f12a0000000-7f12a0010000 r-xs 00000000 00:01 1234    /memfd:minivm-code (deleted)
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            string[] range = fields[0].Split('-');
            mappings.Add(new Mapping(
                ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                fields[1],
                fields.Length > 5 ? fields[5].Trim() : ""));
        }
        return mappings;
    }

    /// <summary>Every mapping that is writable and executable at once (<c>rwxp</c>, <c>rwxs</c>).</summary>
    public static IReadOnlyList<Mapping> WritableAndExecutable() =>
        Read().Where(m => m.IsWritable && m.IsExecutable).ToArray();

    public static Mapping? Containing(nint address) => Read().FirstOrDefault(m => m.Contains(address));

    /// <summary>Mappings whose path names the given memfd (<c>/memfd:NAME (deleted)</c>).</summary>
    public static int CountMemfdMappings(string name) =>
        Read().Count(m => m.Path == $"/memfd:{name} (deleted)" || m.Path == $"/memfd:{name}");

    /// <summary>Open descriptors of the process that are the named memfd.</summary>
    public static int CountMemfdDescriptors(string name)
    {
        int count = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                string? target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith($"/memfd:{name} ", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor was closed while we looked.
            }
        }
        return count;
    }

    public static int CountOpenDescriptors() => Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();

    /// <summary>A field of /proc/self/status in kB, e.g. "VmSize".</summary>
    public static long StatusKilobytes(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}
