namespace MiniVm.Sdk.Tasks;

/// <summary>Writes build outputs atomically, and only when their content changes.</summary>
internal static class OutputWriter
{
    /// <summary>
    /// Makes <paramref name="path"/> hold <paramref name="content"/>. When it already does, the
    /// file is not rewritten: only its last-write time is set to now, so MSBuild's timestamp
    /// check sees it as newer than its (touched) source and the next build skips it. Otherwise
    /// the bytes go to a temporary file in the same folder, which is then renamed over the
    /// target — a rename within one folder is atomic, so readers (a running program, a parallel
    /// build, an IDE) see the old file or the new one, never a torn one.
    /// </summary>
    /// <returns>True when the file was written; false when its content was already right.</returns>
    public static bool WriteIfChanged(string path, byte[] content)
    {
        if (HasContent(path, content))
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
            return false;
        }
        string directory = Path.GetDirectoryName(path) ?? ".";
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content, 0, content.Length);
                stream.Flush(flushToDisk: false);
            }
            File.Move(temporary, path, overwrite: true);
            return true;
        }
        finally
        {
            try
            {
                if (File.Exists(temporary)) File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the temporary name is unique and hidden, and the real error (if any) is already on its way up.
            }
        }
    }

    private static bool HasContent(string path, byte[] content)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length != content.Length) return false;
            return File.ReadAllBytes(path).AsSpan().SequenceEqual(content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
