using System.Collections;
using Microsoft.Build.Framework;

namespace MiniVm.Sdk.Tests;

/// <summary>A minimal MSBuild engine for running the tasks in-process: it records what they log.</summary>
internal sealed class FakeBuildEngine : IBuildEngine
{
    public List<BuildErrorEventArgs> Errors { get; } = [];
    public List<BuildWarningEventArgs> Warnings { get; } = [];
    public List<BuildMessageEventArgs> Messages { get; } = [];

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode => "test.csproj";

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => false;
    public void LogCustomEvent(CustomBuildEventArgs e) { }
    public void LogErrorEvent(BuildErrorEventArgs e) { lock (Errors) Errors.Add(e); }
    public void LogWarningEvent(BuildWarningEventArgs e) { lock (Warnings) Warnings.Add(e); }
    public void LogMessageEvent(BuildMessageEventArgs e) { lock (Messages) Messages.Add(e); }

    /// <summary>The errors in MSBuild's canonical form (without the project suffix).</summary>
    public IEnumerable<string> CanonicalErrors => Errors.Select(e =>
        e.LineNumber > 0 ? $"{e.File}({e.LineNumber},{e.ColumnNumber}): error {e.Code}: {e.Message}" : $"{e.File} : error {e.Code}: {e.Message}");
}
