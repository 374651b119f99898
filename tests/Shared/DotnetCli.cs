using System.Diagnostics;

namespace MiniVm.Testing;

/// <summary>
/// Runs the real <c>dotnet</c> CLI for end-to-end tests (shared by the test projects),
/// isolated from the machine: its own NuGet packages folder when given one (a stale cached
/// package of the same version is the classic trap), and no MSBuild node reuse, MSBuild server
/// or compiler server, so nothing outlives a command or holds a file after it (unless a test asks
/// for them, as CI agents have them, and shuts them down itself).
/// </summary>
internal static class DotnetCli
{
    public sealed record Result(int ExitCode, string Output, string StandardOutput, string StandardError)
    {
        public Result AssertSuccess(string what)
        {
            Assert.True(ExitCode == 0, $"{what} failed with exit code {ExitCode}:\n{Output}");
            return this;
        }

        public Result AssertFailure(string what)
        {
            Assert.True(ExitCode != 0, $"{what} should have failed but exited with 0:\n{Output}");
            return this;
        }
    }

    /// <summary>Build-like commands get the switches that keep MSBuild and the compiler server from lingering.</summary>
    private static readonly HashSet<string> BuildCommands = ["build", "publish", "clean", "pack"];

    /// <param name="nugetPackages">The NuGet packages folder, or null for the machine's own.</param>
    /// <param name="cancellation">Kills the command (and its children) and throws when cancelled.</param>
    /// <param name="buildServers">True: MSBuild node reuse and the build servers as the CLI has them
    /// by default (none of the switches or variables that turn them off, whatever the test host's
    /// environment says). The caller must stop them (<c>dotnet build-server shutdown</c>).</param>
    public static Result Run(string workingDirectory, string? nugetPackages, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null,
        CancellationToken cancellation = default, bool buildServers = false)
    {
        var args = arguments.ToList();
        if (!buildServers && args.Count > 0 && BuildCommands.Contains(args[0]))
            args.AddRange(["-nodeReuse:false", "--disable-build-servers"]);
        else if (!buildServers && args.Count > 0 && args[0] == "run" && !args.Contains("--no-build"))
            args.Insert(1, "--disable-build-servers");

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in args) start.ArgumentList.Add(argument);
        if (nugetPackages is not null) start.Environment["NUGET_PACKAGES"] = nugetPackages;
        if (buildServers)
            foreach (string name in new[] { "MSBUILDDISABLENODEREUSE", "DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER", "DOTNET_CLI_USE_MSBUILD_SERVER", "UseSharedCompilation" })
                start.Environment.Remove(name);
        else
        {
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            start.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
            start.Environment["UseSharedCompilation"] = "false";
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        // Plain console output (no terminal logger), whatever the test host's terminal is.
        start.Environment["MSBUILDTERMINALLOGGER"] = "off";
        // The test host's own MSBuild and MiniVm settings must not leak into the child.
        // (dotnet test sets MSBUILDENSURESTDOUTFORTASKPROCESSES for its own build, and with it the
        // CLI never uses the MSBuild server.)
        foreach (string name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly",
                     "MSBUILDENSURESTDOUTFORTASKPROCESSES", "_MSBUILDTLENABLED", "MINIVM_TIER", "MINIVM_JIT_THRESHOLD", "MINIVM_MAX_DEPTH" })
            start.Environment.Remove(name);
        if (environment is not null)
            foreach (var (key, value) in environment)
                if (value is null) start.Environment.Remove(key);
                else start.Environment[key] = value;

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = new System.Text.StringBuilder();
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) { output.Append(e.Data).Append('\n'); stdout.Append(e.Data).Append('\n'); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) { output.Append(e.Data).Append('\n'); stderr.Append(e.Data).Append('\n'); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (!process.WaitForExit(TimeSpan.FromMilliseconds(250)))
        {
            if (cancellation.IsCancellationRequested || DateTime.UtcNow > deadline)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                cancellation.ThrowIfCancellationRequested();
                throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in 10 minutes");
            }
        }
        process.WaitForExit();
        lock (output) return new Result(process.ExitCode, output.ToString(), stdout.ToString(), stderr.ToString());
    }
}
