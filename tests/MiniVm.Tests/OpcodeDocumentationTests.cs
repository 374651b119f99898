using MiniVm.Bytecode.Opcodes;

namespace MiniVm.Tests;

/// <summary>docs/bytecode.md's opcode table must say exactly what OpcodeTable.cs says.</summary>
public sealed class OpcodeDocumentationTests
{
    [Fact]
    public void DocumentedTableMatchesTheOpcodeTable()
    {
        string doc = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "bytecode.md"));
        int start = doc.IndexOf("<!-- opcode-table", StringComparison.Ordinal);
        int end = doc.IndexOf("<!-- end opcode-table -->", StringComparison.Ordinal);
        var rows = doc[start..end].Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && char.IsDigit(l[2])).ToList();
        var expected = OpcodeTable.All.Select(o =>
            $"| {(byte)o.Code} | {o.Name} | {o.Arg.ToString().ToLowerInvariant()} | {o.Pops} | {o.Pushes} | {o.Flow.ToString().ToLowerInvariant()} | {o.PopsOnJump} |").ToList();
        Assert.Equal(expected, rows);
    }
}
