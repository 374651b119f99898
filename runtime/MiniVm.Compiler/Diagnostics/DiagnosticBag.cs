namespace MiniVm.Compiler.Diagnostics;

/// <summary>Collects a compile's diagnostics in the order they are found.</summary>
internal sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];
    private readonly string _path;

    public DiagnosticBag(string path) => _path = path;

    public bool HasErrors { get; private set; }

    public IReadOnlyList<Diagnostic> Items => _items;

    public void Error(Source.Position at, string code, string message)
    {
        _items.Add(new Diagnostic(_path, at.Line, at.Column, DiagnosticSeverity.Error, code, message));
        HasErrors = true;
    }
}
