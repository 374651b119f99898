using MiniVm.Compiler;

namespace MiniVm.Tool;

/// <summary>Reading the files commands are given, with the tool's errors for each way that fails.</summary>
internal static class InputFiles
{
    public static bool IsSource(string path) => path.EndsWith(".expr", StringComparison.OrdinalIgnoreCase);

    /// <summary>The bytes of <paramref name="path"/>, or a <see cref="ToolException"/> with exit code 4.</summary>
    public static byte[] ReadBytes(string path)
    {
        if (Directory.Exists(path)) throw new ToolException(ExitCodes.FileError, $"error: {path}: is a directory, not a file");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new ToolException(ExitCodes.FileError, $"error: {path}: file not found");
        }
        catch (DirectoryNotFoundException)
        {
            throw new ToolException(ExitCodes.FileError, $"error: {path}: file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ToolException(ExitCodes.FileError, $"error: {path}: cannot read the file ({e.Message})");
        }
    }

    public static string ReadText(string path)
    {
        var bytes = ReadBytes(path);
        try
        {
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new ToolException(ExitCodes.FileError, $"error: {path}: the file is not valid UTF-8 text");
        }
    }

    /// <summary>
    /// The name stored in a module compiled by the tool: the path relative to the current
    /// directory with '/' separators, or the file name alone for a file outside it, so the same
    /// command gives the same bytes in any checkout.
    /// </summary>
    public static string SourceName(string path)
    {
        string full = Path.GetFullPath(path);
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), full);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) relative = Path.GetFileName(full);
        return relative.Replace('\\', '/');
    }

    /// <summary>Compiles a source file, writing its diagnostics to stderr; null if it had errors.</summary>
    public static CompileResult Compile(string path)
    {
        string source = ReadText(path);
        var result = MiniVmCompiler.Compile(source, SourceName(path), path);
        foreach (var diagnostic in result.Diagnostics) Console.Error.WriteLine(diagnostic.ToString());
        return result;
    }

    /// <summary>Loads a module: a .expr is compiled in memory, anything else is read as .txtc.</summary>
    public static MiniVmModule LoadModule(string path)
    {
        if (IsSource(path))
        {
            var result = Compile(path);
            if (result.Module is null) throw new ToolException(ExitCodes.CompileErrorOrUsage, "");
            try
            {
                return MiniVmModule.Load(result.ToBytes(), path);
            }
            catch (MiniVmLoadException e)
            {
                throw new ToolException(ExitCodes.LoadError, $"error: {e.Message}");
            }
        }
        var bytes = ReadBytes(path);
        try
        {
            return MiniVmModule.Load(bytes, path);
        }
        catch (MiniVmLoadException e)
        {
            throw new ToolException(ExitCodes.LoadError, $"error: {e.Message}");
        }
    }
}
