using System.Security;

namespace MiniVm.Sdk.Tests;

/// <summary>The end-to-end tests share one packed feed: they run one after another in this collection.</summary>
[CollectionDefinition(Name)]
public sealed class SdkCollection : ICollectionFixture<SdkPackages>
{
    public const string Name = "packed MiniVm packages";
}

/// <summary>
/// Packs MiniVm.Runtime, MiniVm.Sdk and MiniVm.Tool from this repository ONCE per test run,
/// with a version unique to the run, into a temporary folder feed (their build goes to a
/// temporary --artifacts-path, so the repository's bin/ and obj/ are untouched). Projects the
/// tests generate see only that feed (nuget.config with &lt;clear/&gt;) and restore into an
/// isolated NuGet packages folder, so nothing can come from a stale cache or the network.
/// </summary>
public sealed class SdkPackages : IDisposable
{
    private int _projectCount;

    public SdkPackages()
    {
        Root = Directory.CreateTempSubdirectory("minivm-sdk-tests-").FullName;
        Version = $"0.0.1-sdktest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        Feed = Path.Combine(Root, "feed");
        NuGetPackages = Path.Combine(Root, "nuget-packages");
        Projects = Path.Combine(Root, "projects");
        Directory.CreateDirectory(Projects);
        // Generated projects must not pick up Directory.Build.* files from above the temporary folder.
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />\n");

        // One solution of the three packable projects: one restore, one build, parallel packing.
        string solution = Path.Combine(Root, "packages.slnx");
        string repo = TestPaths.RepositoryRoot;
        File.WriteAllText(solution, $"""
            <Solution>
              <Project Path="{Path.Combine(repo, "runtime", "MiniVm.Runtime", "MiniVm.Runtime.csproj")}" />
              <Project Path="{Path.Combine(repo, "sdk", "MiniVm.Sdk", "MiniVm.Sdk.csproj")}" />
              <Project Path="{Path.Combine(repo, "tool", "MiniVm.Tool", "MiniVm.Tool.csproj")}" />
            </Solution>
            """);
        // Packing restores the repository's own dependencies from the machine's packages folder
        // (nugetPackages: null); only the projects under test use the isolated one.
        var pack = DotnetCli.Run(Root, null, ["pack", solution, "-c", "Release", $"-p:MiniVmVersion={Version}",
            $"-p:PackageOutputPath={Feed}{Path.DirectorySeparatorChar}", "--artifacts-path", Path.Combine(Root, "artifacts")]);
        if (pack.ExitCode != 0)
            throw new InvalidOperationException($"packing the MiniVm packages failed (exit code {pack.ExitCode}):\n{pack.Output}");
        foreach (string id in new[] { "MiniVm.Runtime", "MiniVm.Sdk", "MiniVm.Tool" })
            if (!File.Exists(Path.Combine(Feed, $"{id}.{Version}.nupkg")))
                throw new InvalidOperationException($"{id}.{Version}.nupkg was not packed:\n{pack.Output}");
        CopyRuntimeDependenciesToFeed();
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

    public string Feed { get; }

    public string NuGetPackages { get; }

    private string Projects { get; }

    /// <summary>A nuget.config that sees only the test feed.</summary>
    public string NuGetConfig => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="minivm-test-feed" value="{SecurityElement.Escape(Feed)}" />
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

    public void Dispose()
    {
        // Nothing may outlive the tests: no node reuse was allowed, and this stops any server anyway.
        DotnetCli.Run(Root, NuGetPackages, ["build-server", "shutdown"]);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is not worth failing the run over.
        }
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

    /// <summary>Runs the built program directly (<c>dotnet bin/…/Name.dll</c>), as a user of the output would.</summary>
    public DotnetCli.Result RunBuilt(IDictionary<string, string?>? environment = null, string? directory = null) =>
        DotnetCli.Run(Directory, packages.NuGetPackages, [Path.Combine(directory ?? Bin, Name + ".dll")], environment);
}
