using MiniVm.Bytecode.Disassembly;
using MiniVm.Bytecode.File;
using MiniVm.Compiler;

namespace MiniVm.Tests;

/// <summary>
/// Code generation pinned by golden files: <c>tests/golden/NAME.expr</c> must disassemble to
/// <c>NAME.dis</c>. After an intended change to code generation, regenerate them with
/// <c>dotnet minivm dis NAME.expr &gt; NAME.dis</c> in that folder and review the diff.
/// </summary>
public sealed class GoldenDisassemblyTests
{
    private static string Golden => Path.Combine(TestPaths.RepositoryRoot, "tests", "golden");

    public static TheoryData<string> Programs()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(Golden, "*.expr").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void DisassemblyMatchesGolden(string program)
    {
        string path = Path.Combine(Golden, program);
        var module = MiniVmModule.Compile(File.ReadAllText(path), program);
        string expected = File.ReadAllText(Path.ChangeExtension(path, ".dis")).ReplaceLineEndings("\n");
        Assert.Equal(expected, module.Disassemble());
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void CompileWriteReadDisassembleRoundTrips(string program)
    {
        string source = File.ReadAllText(Path.Combine(Golden, program));
        var compiled = MiniVmCompiler.Compile(source, program);
        byte[] bytes = compiled.ToBytes();
        var read = TxtcReader.Read(bytes, program);
        Assert.Equal(Disassembler.Disassemble(compiled.Module!), Disassembler.Disassemble(read));
        Assert.Equal(bytes, TxtcWriter.Write(read));
    }
}
