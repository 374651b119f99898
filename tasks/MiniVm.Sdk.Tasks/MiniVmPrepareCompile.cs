using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MiniVm.Compiler;

namespace MiniVm.Sdk.Tasks;

/// <summary>
/// Works out, for every <c>MiniVmCompile</c> item, where its <c>.txtc</c> goes and what name it
/// stores, before anything is compiled — so the compile target can declare exact
/// Inputs/Outputs (MSBuild then skips it, or passes it only the out-of-date files), and the
/// copy to the output directory, publish and clean all know the files without compiling.
/// <list type="bullet">
/// <item><c>TargetPath</c>: the path under the output directory — the item's <c>Link</c> if it has
/// one, else its path relative to the project directory (a file outside the project keeps only
/// its name), with the extension <c>.txtc</c>: <c>scripts/price.expr</c> → <c>scripts/price.txtc</c>.</item>
/// <item><c>OutputFile</c>: the full path of the compiled file under <see cref="OutputDirectory"/>.</item>
/// <item><c>SourceName</c>: the name stored in the module and shown in stack traces — the same
/// relative path with '/' separators, never an absolute path, so every machine builds the same
/// bytes. An item may set <c>SourceName</c> itself.</item>
/// </list>
/// It also checks that no two items produce one output (MVM5007), and reports
/// <see cref="CompilerIdentity"/>, which changes whenever the compiler does (a cached input of
/// the compile, so a new compiler recompiles).
/// </summary>
public sealed class MiniVmPrepareCompile : Microsoft.Build.Utilities.Task
{
    /// <summary>The <c>MiniVmCompile</c> items.</summary>
    [Required]
    public ITaskItem[] Sources { get; set; } = [];

    /// <summary>The project's directory: relative paths and source names start here.</summary>
    [Required]
    public string ProjectDirectory { get; set; } = "";

    /// <summary>Where compiled files go (the project's intermediate directory plus <c>minivm/</c>).</summary>
    [Required]
    public string OutputDirectory { get; set; } = "";

    /// <summary>The items with <c>TargetPath</c>, <c>OutputFile</c> and <c>SourceName</c> metadata.</summary>
    [Output]
    public ITaskItem[] Items { get; private set; } = [];

    /// <summary>Identifies the compiler build (module version ids of the compiler, bytecode and task assemblies).</summary>
    [Output]
    public string CompilerIdentity { get; private set; } = "";

    internal static StringComparison PathComparison => OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    public override bool Execute()
    {
        try
        {
            CompilerIdentity = ComputeCompilerIdentity();
            string projectDirectory = Path.GetFullPath(ProjectDirectory);
            string outputDirectory = Path.GetFullPath(Path.Combine(projectDirectory, OutputDirectory));
            var items = new List<ITaskItem>(Sources.Length);
            var outputs = new Dictionary<string, ITaskItem>(OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
            foreach (var source in Sources)
            {
                string fullPath = Path.GetFullPath(Path.Combine(projectDirectory, source.ItemSpec));
                string relative = RelativePath(projectDirectory, fullPath, source.GetMetadata("Link"));
                string targetPath = TargetPath(relative);
                string outputFile = Path.GetFullPath(Path.Combine(outputDirectory, targetPath));
                if (outputs.TryGetValue(outputFile, out var first))
                {
                    Log.LogError(null, SdkDiagnostics.DuplicateOutput, null, fullPath, 0, 0, 0, 0, "{0}",
                        $"'{source.ItemSpec}' and '{first.ItemSpec}' would both compile to '{targetPath}'; remove one of them from MiniVmCompile or give one a different Link");
                    continue;
                }
                var item = new TaskItem(source);
                item.SetMetadata("TargetPath", targetPath);
                item.SetMetadata("OutputFile", outputFile);
                string sourceName = source.GetMetadata("SourceName");
                item.SetMetadata("SourceName", string.IsNullOrWhiteSpace(sourceName) ? relative.Replace('\\', '/') : sourceName.Replace('\\', '/'));
                outputs.Add(outputFile, source);
                items.Add(item);
            }
            Items = items.ToArray();
        }
        catch (Exception e)
        {
            Log.LogError(null, SdkDiagnostics.InternalError, null, null, 0, 0, 0, 0, "{0}", $"internal error in MiniVm.Sdk: {e}");
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>The path an item has "in the project": its Link, else relative to the project, else its file name.</summary>
    internal static string RelativePath(string projectDirectory, string fullPath, string? link)
    {
        if (!string.IsNullOrWhiteSpace(link)) return Normalize(link);
        string relative = Path.GetRelativePath(projectDirectory, fullPath);
        if (relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            return Path.GetFileName(fullPath);
        return relative;
    }

    /// <summary>Where a script with this project-relative path lands under the output folder.</summary>
    internal static string TargetPath(string relative) => Path.ChangeExtension(relative, ".txtc");

    internal static string Normalize(string path)
    {
        string normalized = path.Trim().Replace('\\', '/');
        while (normalized.StartsWith("./", StringComparison.Ordinal)) normalized = normalized[2..];
        return normalized.Replace('/', Path.DirectorySeparatorChar);
    }

    internal static string ComputeCompilerIdentity()
    {
        static string Mvid(Type type) => type.Assembly.ManifestModule.ModuleVersionId.ToString("N");
        return $"compiler={Mvid(typeof(MiniVmCompiler))};bytecode={Mvid(typeof(MiniVm.Bytecode.File.TxtcWriter))};tasks={Mvid(typeof(MiniVmPrepareCompile))}";
    }
}
