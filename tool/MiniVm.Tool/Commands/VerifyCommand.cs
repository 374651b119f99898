namespace MiniVm.Tool.Commands;

/// <summary><c>minivm verify FILE...</c>: loads and verifies each file, printing <c>ok</c> or the error.</summary>
internal static class VerifyCommand
{
    public static int Execute(IReadOnlyList<string> paths)
    {
        int exitCode = ExitCodes.Success;
        foreach (string path in paths)
        {
            try
            {
                InputFiles.LoadModule(path);
                Console.Out.WriteLine($"{path}: ok");
            }
            catch (ToolException e)
            {
                Console.Out.Flush();
                if (e.Message.Length > 0) Console.Error.WriteLine(e.Message);
                exitCode = Math.Max(exitCode, e.ExitCode);
            }
        }
        return exitCode;
    }
}
