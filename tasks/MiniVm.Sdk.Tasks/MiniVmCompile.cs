using System.Text;
using Microsoft.Build.Framework;
using MiniVm.Compiler;
using MiniVm.Compiler.Diagnostics;

namespace MiniVm.Sdk.Tasks;

/// <summary>
/// Compiles <c>.expr</c> files to <c>.txtc</c> files: many per call, in parallel when there is
/// more than one. Each item carries <c>OutputFile</c> and <c>SourceName</c> metadata
/// (<see cref="MiniVmPrepareCompile"/> sets them).
/// <list type="bullet">
/// <item>Every diagnostic of every file is logged through MSBuild with file, line, column and its
/// <c>MVM</c> code, in item order, so the log reads the same however the work was scheduled.</item>
/// <item>Outputs are written atomically (a temporary file in the same folder, then a rename), so a
/// reader never sees half a file; a result identical to the existing file is not rewritten — only
/// its timestamp is refreshed, which is what MSBuild's up-to-date check looks at.</item>
/// <item><see cref="Execute"/> never throws (an unexpected failure is MVM5900, not MSB4018), honours
/// cancellation, and returns false exactly when it logged an error.</item>
/// </list>
/// </summary>
public sealed class MiniVmCompile : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>The files to compile (with <c>OutputFile</c> and <c>SourceName</c> metadata).</summary>
    [Required]
    public ITaskItem[] Sources { get; set; } = [];

    /// <summary>The project's directory; relative item specs are resolved against it.</summary>
    public string? ProjectDirectory { get; set; }

    /// <summary>Compile on several threads when there is more than one file (default true).</summary>
    public bool Parallel { get; set; } = true;

    /// <summary>The output files that are now up to date (written or confirmed unchanged).</summary>
    [Output]
    public ITaskItem[] CompiledFiles { get; private set; } = [];

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        try
        {
            return ExecuteCore();
        }
        catch (OperationCanceledException)
        {
            Log.LogError(null, SdkDiagnostics.Canceled, null, null, 0, 0, 0, 0, "{0}", "the MiniVm compile was canceled");
            return false;
        }
        catch (Exception e)
        {
            Log.LogError(null, SdkDiagnostics.InternalError, null, null, 0, 0, 0, 0, "{0}", $"internal error in the MiniVm compile task: {e}");
            return false;
        }
    }

    private bool ExecuteCore()
    {
        if (Sources.Length == 0) return true;
        string baseDirectory = string.IsNullOrEmpty(ProjectDirectory) ? Directory.GetCurrentDirectory() : ProjectDirectory!;
        var results = new FileResult[Sources.Length];
        var token = _cancel.Token;
        Log.LogMessage(MessageImportance.Normal, "MiniVm: compiling {0} file(s)", Sources.Length);

        if (Parallel && Sources.Length > 1)
        {
            var options = new ParallelOptions { CancellationToken = token, MaxDegreeOfParallelism = Environment.ProcessorCount };
            System.Threading.Tasks.Parallel.For(0, Sources.Length, options, i => results[i] = CompileOne(Sources[i], baseDirectory, token));
        }
        else
        {
            for (int i = 0; i < Sources.Length; i++)
            {
                token.ThrowIfCancellationRequested();
                results[i] = CompileOne(Sources[i], baseDirectory, token);
            }
        }

        var compiled = new List<ITaskItem>();
        int written = 0, unchanged = 0;
        foreach (var result in results)
        {
            foreach (var d in result.Diagnostics)
            {
                if (d.IsError)
                    Log.LogError(null, d.Code, null, result.SourcePath, d.Line, d.Column, 0, 0, "{0}", d.Message);
                else
                    Log.LogWarning(null, d.Code, null, result.SourcePath, d.Line, d.Column, 0, 0, "{0}", d.Message);
            }
            if (result.Failure is { } failure)
                Log.LogError(null, failure.Code, null, failure.File, 0, 0, 0, 0, "{0}", failure.Message);
            if (result.Outcome == Outcome.Failed) continue;
            if (result.Outcome == Outcome.Written) written++; else unchanged++;
            Log.LogMessage(MessageImportance.Normal, "  {0} -> {1}{2}", result.Item.ItemSpec, result.OutputFile, result.Outcome == Outcome.Unchanged ? " (unchanged)" : "");
            compiled.Add(new Microsoft.Build.Utilities.TaskItem(result.OutputFile));
        }
        CompiledFiles = compiled.ToArray();
        Log.LogMessage(MessageImportance.Normal, "MiniVm: {0} file(s) compiled ({1} written, {2} unchanged), {3} failed", compiled.Count, written, unchanged, results.Length - compiled.Count);
        return !Log.HasLoggedErrors;
    }

    private enum Outcome { Failed, Written, Unchanged }

    private sealed record Failure(string Code, string? File, string Message);

    private sealed record FileResult(ITaskItem Item, string SourcePath, string OutputFile, IReadOnlyList<Diagnostic> Diagnostics, Outcome Outcome, Failure? Failure);

    private static FileResult CompileOne(ITaskItem item, string baseDirectory, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        string sourcePath = item.ItemSpec;
        string outputFile = item.GetMetadata("OutputFile");
        try
        {
            sourcePath = Path.GetFullPath(Path.Combine(baseDirectory, item.ItemSpec));
            if (string.IsNullOrWhiteSpace(outputFile))
                return Failed(SdkDiagnostics.InternalError, sourcePath, "the item has no OutputFile metadata (run MiniVmPrepareCompile first)");
            outputFile = Path.GetFullPath(Path.Combine(baseDirectory, outputFile));
            string sourceName = item.GetMetadata("SourceName");
            if (string.IsNullOrWhiteSpace(sourceName)) sourceName = Path.GetFileName(sourcePath);

            string text;
            try
            {
                var bytes = File.ReadAllBytes(sourcePath);
                text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Failed(SdkDiagnostics.CannotReadSource, sourcePath, e is FileNotFoundException or DirectoryNotFoundException
                    ? "the source file does not exist" : $"cannot read the source file: {e.Message}");
            }
            catch (DecoderFallbackException)
            {
                return Failed(SdkDiagnostics.CannotReadSource, sourcePath, "the source file is not valid UTF-8 text");
            }

            token.ThrowIfCancellationRequested();
            CompileResult result;
            try
            {
                result = MiniVmCompiler.Compile(text, sourceName, sourcePath);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Failed(SdkDiagnostics.InternalError, sourcePath, $"internal compiler error: {e.Message}");
            }
            if (!result.Success)
                return new FileResult(item, sourcePath, outputFile, result.Diagnostics, Outcome.Failed, null);

            try
            {
                bool changed = OutputWriter.WriteIfChanged(outputFile, result.ToBytes());
                return new FileResult(item, sourcePath, outputFile, result.Diagnostics, changed ? Outcome.Written : Outcome.Unchanged, null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new FileResult(item, sourcePath, outputFile, result.Diagnostics, Outcome.Failed,
                    new Failure(SdkDiagnostics.CannotWriteOutput, outputFile, $"cannot write the compiled file: {e.Message}"));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failed(SdkDiagnostics.InternalError, sourcePath, $"internal error: {e.Message}");
        }

        FileResult Failed(string code, string file, string message) =>
            new(item, sourcePath, outputFile, [], Outcome.Failed, new Failure(code, file, message));
    }
}
