using System.Diagnostics;

namespace MiniVm.Tests;

/// <summary>The same source gives the same <c>.txtc</c> bytes wherever it is compiled.</summary>
public sealed class DeterminismTests
{
    [Fact]
    public void CompilingInTwoDirectoriesGivesIdenticalBytes()
    {
        string source = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "tests", "golden", "control.expr"));
        var outputs = new List<byte[]>();
        foreach (string name in new[] { "first", "second-place" })
        {
            string dir = Path.Combine(Path.GetTempPath(), $"minivm-determinism-{Guid.NewGuid():N}", name, "src");
            Directory.CreateDirectory(dir);
            try
            {
                File.WriteAllText(Path.Combine(dir, "prog.expr"), source);
                var result = ToolProcess.Run(dir, "compile", "prog.expr");
                Assert.Equal(0, result.ExitCode);
                outputs.Add(File.ReadAllBytes(Path.Combine(dir, "prog.txtc")));
            }
            finally
            {
                Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(dir))!, recursive: true);
            }
        }
        Assert.Equal(outputs[0], outputs[1]);
        Assert.DoesNotContain("minivm-determinism", System.Text.Encoding.UTF8.GetString(outputs[0]));
    }

    [Fact]
    public void CompilingTwiceInOneProcessGivesIdenticalBytes()
    {
        string source = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "tests", "golden", "scopes.expr"));
        var a = Compiler.MiniVmCompiler.Compile(source, "scopes.expr").ToBytes();
        var b = Compiler.MiniVmCompiler.Compile(source, "scopes.expr").ToBytes();
        Assert.Equal(a, b);
    }
}
