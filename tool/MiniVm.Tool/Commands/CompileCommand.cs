namespace MiniVm.Tool.Commands;

/// <summary><c>minivm compile FILE... [-o DIR]</c>: writes a .txtc per .expr.</summary>
internal static class CompileCommand
{
    public static int Execute(IReadOnlyList<string> paths, string? outputDirectory)
    {
        int exitCode = ExitCodes.Success;
        foreach (string path in paths)
        {
            try
            {
                var result = InputFiles.Compile(path);
                if (result.Module is null)
                {
                    exitCode = Math.Max(exitCode, ExitCodes.CompileErrorOrUsage);
                    continue;
                }
                string directory = outputDirectory ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
                string output = Path.Combine(directory, Path.GetFileNameWithoutExtension(path) + ".txtc");
                Directory.CreateDirectory(directory);
                WriteAtomically(output, result.ToBytes());
            }
            catch (ToolException e)
            {
                if (e.Message.Length > 0) Console.Error.WriteLine(e.Message);
                exitCode = Math.Max(exitCode, e.ExitCode);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {path}: cannot write the output ({e.Message})");
                exitCode = Math.Max(exitCode, ExitCodes.FileError);
            }
        }
        return exitCode;
    }

    /// <summary>Writes next to the target and renames over it, so a failure never leaves a half-written file.</summary>
    private static void WriteAtomically(string path, byte[] bytes)
    {
        string temporary = path + $".{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
