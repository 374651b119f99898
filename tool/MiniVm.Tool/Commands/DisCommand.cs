namespace MiniVm.Tool.Commands;

/// <summary><c>minivm dis FILE</c>: prints a module's bytecode.</summary>
internal static class DisCommand
{
    public static int Execute(string path)
    {
        var module = InputFiles.LoadModule(path);
        Console.Out.Write(module.Disassemble());
        return ExitCodes.Success;
    }
}
