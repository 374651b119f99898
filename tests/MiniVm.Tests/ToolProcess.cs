using System.Diagnostics;

namespace MiniVm.Tests;

/// <summary>Runs the built tool (<c>minivm.dll</c>) as a separate process, as a user or script would.</summary>
internal static class ToolProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr, int ProcessId = 0);

    /// <summary>The tool's assembly, built next to the tests (the test project references the tool).</summary>
    public static string ToolDll => Path.Combine(AppContext.BaseDirectory, "minivm.dll");

    public static Result Run(string workingDirectory, params string[] arguments) => RunWithEnvironment(workingDirectory, null, arguments);

    public static Result RunWithEnvironment(string workingDirectory, IDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ToolDll);
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Remove("MINIVM_TIER");
        start.Environment.Remove("MINIVM_JIT_THRESHOLD");
        start.Environment.Remove("MINIVM_MAX_DEPTH");
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"minivm {string.Join(' ', arguments)} did not finish");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result, process.Id);
    }
}
