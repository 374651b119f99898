using System.Globalization;

namespace MiniVm.Compiler.Diagnostics;

public enum DiagnosticSeverity
{
    Warning,
    Error,
}

/// <summary>One compiler message with its position (1-based line and column) and stable code.</summary>
public sealed record Diagnostic(string Path, int Line, int Column, DiagnosticSeverity Severity, string Code, string Message)
{
    public bool IsError => Severity == DiagnosticSeverity.Error;

    /// <summary>The MSBuild canonical form: <c>path(line,col): error MVM1234: message</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Path}({Line},{Column}): {(IsError ? "error" : "warning")} {Code}: {Message}");
}
