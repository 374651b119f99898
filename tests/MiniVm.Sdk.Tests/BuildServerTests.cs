using MiniVm.Sdk.Tasks;

namespace MiniVm.Sdk.Tests;

/// <summary>
/// Consecutive builds as a CI agent or a developer's machine runs them: MSBuild node reuse, the
/// MSBuild server and the compiler server all on, so the processes that ran build 1 (and loaded
/// the SDK's tasks) are still alive for the next builds. The other end-to-end tests switch all of
/// that off (<see cref="DotnetCli"/>); this one switches it on, and shuts it down at the end.
/// <para>The builds use a NuGet packages folder of their own: the test replaces the task
/// assemblies inside it, as a re-extracted package of the same version does (build.sh does
/// exactly that to the samples' packages folder on every run).</para>
/// </summary>
public sealed class BuildServerTests
{
    private static SdkPackages Packages => SdkPackages.Shared;

    /// <summary>Set on every command of the test, so the processes it leaves behind can be found
    /// (and nothing else on the machine is taken for one of them).</summary>
    private const string MarkerVariable = "MINIVM_BUILD_SERVER_TEST";

    [Fact]
    public void BuildsWithLiveNodesAndServersCompileOnlyWhatChangedAndPickUpANewTaskAssembly()
    {
        var project = Packages.CreateProject("served")
            .Write("main.expr", SdkScripts.Main)
            .Write("scripts/price.expr", SdkScripts.Price);
        string nugetPackages = Packages.NewFolder("served-nuget-packages");
        string marker = Guid.NewGuid().ToString("N");
        var environment = new Dictionary<string, string?>
        {
            [MarkerVariable] = marker,
            // On by default for node reuse and the compiler server; the MSBuild server (off by
            // default in the .NET 10 CLI) is switched on too: then build 1's own process, where the
            // tasks ran, stays alive, the hardest case for a task assembly.
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "1",
        };
        DotnetCli.Result Build(string what, params string[] arguments) =>
            DotnetCli.Run(project.Directory, nugetPackages, ["build", "-v:n", .. arguments], environment, buildServers: true).AssertSuccess(what);

        string objMain = Path.Combine(project.ObjScripts, "main.txtc");
        string objPrice = Path.Combine(project.ObjScripts, "scripts", "price.txtc");
        string cache = Path.Combine(project.Directory, "obj", "Debug", "net10.0", "served.MiniVmCompileInputs.cache");
        bool finished = false;
        try
        {
            var first = Build("build 1");
            Assert.Contains("MiniVm: compiling 2 file(s)", first.Output);
            if (OperatingSystem.IsLinux())
                Assert.True(ProcessesOf(marker).Count > 0, "build 1 left no MSBuild server, node or compiler server running: the test would prove nothing");

            // (a) With the processes of build 1 alive, the next build compiles nothing: the target
            // is skipped and no .txtc is touched.
            var stamps = (File.GetLastWriteTimeUtc(objMain), File.GetLastWriteTimeUtc(objPrice));
            var second = Build("build 2");
            Assert.DoesNotContain("MiniVm: compiling", second.Output);
            Assert.Contains("Skipping target \"CoreMiniVmCompile\" because all output files are up-to-date", second.Output);
            Assert.Equal(stamps, (File.GetLastWriteTimeUtc(objMain), File.GetLastWriteTimeUtc(objPrice)));

            // (c) A changed script is compiled again, and only it.
            project.Write("scripts/price.expr", SdkScripts.Price + "fn tax(x) { return x * 0.2; }\n");
            var third = Build("build 3, one script changed");
            Assert.Contains("MiniVm: compiling 1 file(s)", third.Output);
            Assert.Contains("scripts/price.expr -> ", third.Output);
            Assert.DoesNotContain("main.expr -> ", third.Output);
            Assert.Equal(stamps.Item1, File.GetLastWriteTimeUtc(objMain));

            // (b) A rebuild (clean, then build) with the live processes: the outputs are deleted
            // and written again; nothing holds them.
            var rebuild = Build("build 4, --no-incremental", "--no-incremental");
            Assert.Contains("MiniVm: compiling 2 file(s)", rebuild.Output);

            // (b) The task assemblies change under the live processes: the package folder of the
            // same version is re-extracted with another build of the tasks and the compiler (here:
            // the Debug build this test assembly runs with; the feed's are Release). The next
            // build must run the new ones — the inputs cache names their identity, so every script
            // compiles again — not the copies build 1 loaded into the processes that are still alive.
            string tasks = Path.Combine(nugetPackages, "minivm.sdk", Packages.Version, "tasks", "net10.0");
            string newIdentity = MiniVmPrepareCompile.ComputeCompilerIdentity();
            Assert.DoesNotContain(newIdentity, File.ReadAllText(cache));
            Directory.Delete(tasks, recursive: true);
            Directory.CreateDirectory(tasks);
            foreach (string assembly in new[] { "MiniVm.Sdk.Tasks.dll", "MiniVm.Compiler.dll", "MiniVm.Bytecode.dll" })
                File.Copy(Path.Combine(AppContext.BaseDirectory, assembly), Path.Combine(tasks, assembly));
            var changedTasks = Build("build 5, the task assemblies replaced");
            Assert.Contains("MiniVm: compiling 2 file(s)", changedTasks.Output);
            Assert.Contains(newIdentity, File.ReadAllText(cache));
            Assert.DoesNotContain("MiniVm: compiling", Build("build 6").Output);

            Assert.Equal("hello, sdk\n635\n", DotnetCli.Run(project.Directory, nugetPackages, [Path.Combine(project.Bin, "served.dll")]).AssertSuccess("the program").StandardOutput);
            finished = true;
        }
        finally
        {
            // Nothing may outlive the test: CI pipes `dotnet test` into tee, and a live server or
            // node would hold the pipe open. Stop them with the same environment they run in.
            DotnetCli.Run(project.Directory, nugetPackages, ["build-server", "shutdown"], environment, buildServers: true);
            var survivors = OperatingSystem.IsLinux() ? WaitForNoProcessesOf(marker) : [];
            foreach (int pid in survivors) Kill(pid);
            if (finished) Assert.True(survivors.Count == 0, $"still running after dotnet build-server shutdown: {string.Join(", ", survivors)}");
        }
    }

    /// <summary>The processes started by this test (their environment has the marker), on Linux.</summary>
    private static List<int> ProcessesOf(string marker)
    {
        byte[] needle = System.Text.Encoding.UTF8.GetBytes($"{MarkerVariable}={marker}\0");
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId) continue;
            try
            {
                if (File.ReadAllBytes(Path.Combine(dir, "environ")).AsSpan().IndexOf(needle) >= 0) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
        return found;
    }

    private static List<int> WaitForNoProcessesOf(string marker)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<int> left;
        while ((left = ProcessesOf(marker)).Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(250);
        return left;
    }

    private static void Kill(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
