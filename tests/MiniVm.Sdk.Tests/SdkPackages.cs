using System.Security;

namespace MiniVm.Sdk.Tests;

/// <summary>
/// Packs MiniVm.Runtime, MiniVm.Sdk and MiniVm.Tool from this repository ONCE per test run,
/// with a version unique to the run, into temporary folder feeds (their build goes to a
/// temporary --artifacts-path, so the repository's bin/ and obj/ are untouched). Projects the
/// tests generate see only that feed (nuget.config with &lt;clear/&gt;) and restore into an
/// isolated NuGet packages folder, so nothing can come from a stale cache or the network.
/// <para>One instance serves the whole test assembly (<see cref="Shared"/>): the end-to-end test
/// classes are separate xUnit collections, so they run in parallel, each in project folders of
/// its own. MiniVm.Runtime and MiniVm.Sdk are packed first (the SDK tests wait for them); the
/// tool, whose self-contained ReadyToRun packages take most of the packing time, is packed after
/// them while those tests run, and only the tool's tests wait for it (<see cref="ToolFeed"/>).</para>
/// </summary>
internal sealed class SdkPackages : IDisposable
{
    private static readonly Lazy<SdkPackages> SharedInstance = new(() =>
    {
        var packages = new SdkPackages();
        // xUnit 2 has no assembly fixture: the run's packages are removed when the test host exits.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => packages.Dispose();
        return packages;
    });

    /// <summary>The packages of this test run, packed by the first test that asks (the others wait).</summary>
    public static SdkPackages Shared => SharedInstance.Value;

    private int _projectCount;
    private readonly Task _toolPack;
    private readonly CancellationTokenSource _stopToolPack = new();
    private int _disposed;

    private SdkPackages()
    {
        RemoveFoldersOfEndedRuns();
        Root = Directory.CreateTempSubdirectory(FolderPrefix).FullName;
        File.WriteAllText(Path.Combine(Root, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Version = $"0.0.1-sdktest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        Feed = Path.Combine(Root, "feed");
        ToolFeedDirectory = Path.Combine(Root, "tool-feed");
        NuGetPackages = Path.Combine(Root, "nuget-packages");
        Projects = Path.Combine(Root, "projects");
        Directory.CreateDirectory(Projects);
        // Generated projects must not pick up Directory.Build.* files from above the temporary folder.
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />\n");

        // One solution of the runtime and the SDK: one restore, one build, parallel packing.
        string solution = Path.Combine(Root, "packages.slnx");
        File.WriteAllText(solution, $"""
            <Solution>
              <Project Path="{RepositoryProject("runtime", "MiniVm.Runtime")}" />
              <Project Path="{RepositoryProject("sdk", "MiniVm.Sdk")}" />
            </Solution>
            """);
        Pack(solution, Feed, ["MiniVm.Runtime", "MiniVm.Sdk"]);
        CopyRuntimeDependenciesToFeed();

        // The tool's packages are packed next, in the background, into a feed of their own (so
        // restores reading the SDK feed meanwhile never see a half-written package). The same
        // artifacts path: the runtime it references is already built.
        // Only this machine's RID-specific package and the portable one: the other platform's
        // ahead-of-time compile takes minutes and its package cannot be installed here (build.sh
        // packs them all).
        string here = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        string rids = here is "linux-x64" or "win-x64" ? $"\"{here};any\"" : "any";
        _toolPack = Task.Run(() => Pack(RepositoryProject("tool", "MiniVm.Tool"), ToolFeedDirectory, ["MiniVm.Tool"], _stopToolPack.Token,
            $"-p:ToolPackageRuntimeIdentifiers={rids}"));
    }

    private const string FolderPrefix = "minivm-sdk-tests-";
    private const string OwnerFile = "owner.pid";

    /// <summary>
    /// The test host may be ended before its exit handlers finish (the test platform stops it once
    /// the results are in), which leaves a run's folder (hundreds of MB) behind: each run removes
    /// the folders whose test host has ended. A folder without an owner file is left alone.
    /// </summary>
    private static void RemoveFoldersOfEndedRuns()
    {
        foreach (string folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            try
            {
                string owner = Path.Combine(folder, OwnerFile);
                if (!File.Exists(owner) || !int.TryParse(File.ReadAllText(owner), out int pid) || IsRunning(pid)) continue;
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Someone else's, or being removed: not worth failing the run over.
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string RepositoryProject(string folder, string name) => Path.Combine(TestPaths.RepositoryRoot, folder, name, name + ".csproj");

    /// <summary>Packs a project or solution at this run's version; packing restores the
    /// repository's own dependencies from the machine's packages folder (nugetPackages: null),
    /// only the projects under test use the isolated one.</summary>
    private void Pack(string projectOrSolution, string feed, string[] ids, CancellationToken cancellation = default, params string[] properties)
    {
        var pack = DotnetCli.Run(Root, null, ["pack", projectOrSolution, "-c", "Release", $"-p:MiniVmVersion={Version}",
            $"-p:PackageOutputPath={feed}{Path.DirectorySeparatorChar}", "--artifacts-path", Path.Combine(Root, "artifacts"), .. properties], cancellation: cancellation);
        if (pack.ExitCode != 0)
            throw new InvalidOperationException($"packing {string.Join(", ", ids)} failed (exit code {pack.ExitCode}):\n{pack.Output}");
        foreach (string id in ids)
            if (!File.Exists(Path.Combine(feed, $"{id}.{Version}.nupkg")))
                throw new InvalidOperationException($"{id}.{Version}.nupkg was not packed:\n{pack.Output}");
    }

    /// <summary>MiniVm.Runtime depends on Iced (the JIT's assembler). The feed must serve it too, so
    /// the test projects still see no other source: the packing above restored it into the machine's
    /// packages folder, whose copy of the .nupkg goes into the feed.</summary>
    private void CopyRuntimeDependenciesToFeed()
    {
        string runtimeProject = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "runtime", "MiniVm.Runtime", "MiniVm.Runtime.csproj"));
        foreach (System.Text.RegularExpressions.Match reference in System.Text.RegularExpressions.Regex.Matches(runtimeProject, "<PackageReference Include=\"([^\"]+)\" Version=\"([^\"]+)\""))
        {
            string id = reference.Groups[1].Value.ToLowerInvariant(), version = reference.Groups[2].Value;
            string nupkg = Path.Combine(GlobalPackagesFolder(), id, version, $"{id}.{version}.nupkg");
            if (!File.Exists(nupkg)) throw new InvalidOperationException($"{nupkg} is missing: the runtime's dependency was not restored");
            File.Copy(nupkg, Path.Combine(Feed, Path.GetFileName(nupkg)), overwrite: true);
        }
    }

    private static string GlobalPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>The temporary folder everything of this run lives in.</summary>
    public string Root { get; }

    /// <summary>The packages' version, unique to this test run.</summary>
    public string Version { get; }

    /// <summary>The feed of MiniVm.Runtime (with its dependencies) and MiniVm.Sdk.</summary>
    public string Feed { get; }

    private string ToolFeedDirectory { get; }

    /// <summary>The feed of the MiniVm.Tool packages; waits until they are packed (a packing
    /// failure is thrown here, in the tests that need the tool).</summary>
    public string ToolFeed
    {
        get
        {
            _toolPack.GetAwaiter().GetResult();
            return ToolFeedDirectory;
        }
    }

    public string NuGetPackages { get; }

    private string Projects { get; }

    /// <summary>A nuget.config that sees only the test feed.</summary>
    public string NuGetConfig => NuGetConfigFor(Feed);

    /// <summary>A nuget.config that sees only the folder feed <paramref name="feed"/>.</summary>
    public static string NuGetConfigFor(string feed) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="minivm-test-feed" value="{SecurityElement.Escape(feed)}" />
          </packageSources>
        </configuration>
        """;

    /// <summary>
    /// A new project folder with a nuget.config for the test feed and a project file using
    /// <c>&lt;Sdk Name="MiniVm.Sdk" Version="…"/&gt;</c> under strict settings (warnings are errors).
    /// </summary>
    internal TestProject CreateProject(string name, string properties = "", string items = "", string outputType = "Exe", string? parent = null)
    {
        string directory = Path.Combine(parent ?? Path.Combine(Projects, $"p{Interlocked.Increment(ref _projectCount)}"), name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "nuget.config"), NuGetConfig);
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <Sdk Name="MiniVm.Sdk" Version="{Version}" />
              <PropertyGroup>
                <OutputType>{outputType}</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
            {properties}
              </PropertyGroup>
            {items}
            </Project>
            """);
        return new TestProject(this, directory, name);
    }

    /// <summary>A fresh folder under this run's root (for copies of the samples).</summary>
    public string NewFolder(string name)
    {
        string directory = Path.Combine(Projects, $"p{Interlocked.Increment(ref _projectCount)}", name);
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>
    /// Copies samples/<paramref name="name"/> (without bin/ and obj/) with the samples'
    /// Directory.Build.props into a fresh folder, with a global.json pinning this run's MiniVm.Sdk
    /// version (in the repository ./build.sh writes it from Version.props) and a nuget.config that
    /// sees only the test feed; returns the copy's folder.
    /// </summary>
    public string CopySample(string name)
    {
        string samples = Path.Combine(TestPaths.RepositoryRoot, "samples");
        string root = NewFolder("samples");
        File.Copy(Path.Combine(samples, "Directory.Build.props"), Path.Combine(root, "Directory.Build.props"));
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "nuget.config"), NuGetConfig);
        File.WriteAllText(Path.Combine(root, "global.json"), $$"""{ "msbuild-sdks": { "MiniVm.Sdk": "{{Version}}" } }""");
        CopyTree(Path.Combine(samples, name), Path.Combine(root, name));
        return Path.Combine(root, name);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string dir in Directory.EnumerateDirectories(from))
            if (Path.GetFileName(dir) is not ("bin" or "obj")) CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    /// <summary>Runs the CLI in a folder with this run's isolated packages folder.</summary>
    public DotnetCli.Result Dotnet(string directory, params string[] arguments) => DotnetCli.Run(directory, NuGetPackages, arguments);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // A run that did not need the tool (a filtered run) does not wait for its packing.
        _stopToolPack.Cancel();
        try
        {
            _toolPack.Wait();
        }
        catch (AggregateException)
        {
            // Cancelled here, or failed: reported by the tests that asked for the tool feed.
        }
        // The folder first: the test host may be stopped soon after the results are in (the next
        // run removes what is left then).
        try
        {
            // The owner file last, so a deletion cut short is still recognised as this run's.
            foreach (string folder in Directory.EnumerateDirectories(Root)) Directory.Delete(folder, recursive: true);
            foreach (string file in Directory.EnumerateFiles(Root).Where(f => Path.GetFileName(f) != OwnerFile)) File.Delete(file);
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is not worth failing the run over.
        }
        // Nothing may outlive the tests: no node reuse was allowed, and this stops any server anyway.
        DotnetCli.Run(Path.GetTempPath(), NuGetPackages, ["build-server", "shutdown"]);
    }
}

/// <summary>A generated project: its folder, files and the CLI commands run in it.</summary>
internal sealed class TestProject(SdkPackages packages, string directory, string name)
{
    public string Directory { get; } = directory;

    public string Name { get; } = name;

    public string Bin => Path.Combine(Directory, "bin", "Debug", "net10.0");

    public string ObjScripts => Path.Combine(Directory, "obj", "Debug", "net10.0", "minivm");

    public string PathOf(string relative) => Path.Combine(Directory, relative.Replace('/', Path.DirectorySeparatorChar));

    public TestProject Write(string relative, string content)
    {
        string path = PathOf(relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return this;
    }

    public DotnetCli.Result Dotnet(params string[] arguments) => DotnetCli.Run(Directory, packages.NuGetPackages, arguments);

    public DotnetCli.Result DotnetWith(IDictionary<string, string?> environment, params string[] arguments) =>
        DotnetCli.Run(Directory, packages.NuGetPackages, arguments, environment);

    /// <summary>The configProperties of the built program's runtimeconfig.json.</summary>
    public System.Text.Json.Nodes.JsonObject RuntimeConfigProperties()
    {
        string path = Path.Combine(Bin, Name + ".runtimeconfig.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        return json["runtimeOptions"]!["configProperties"]!.AsObject();
    }

    /// <summary>Runs the built program directly (<c>dotnet bin/…/Name.dll</c>), as a user of the output would.</summary>
    public DotnetCli.Result RunBuilt(IDictionary<string, string?>? environment = null, string? directory = null) =>
        DotnetCli.Run(Directory, packages.NuGetPackages, [Path.Combine(directory ?? Bin, Name + ".dll")], environment);
}
