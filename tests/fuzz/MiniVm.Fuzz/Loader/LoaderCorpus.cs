using System.Text;
using MiniVm.Compiler;

namespace MiniVm.Fuzz.Loader;

/// <summary>
/// The valid files the loader fuzzer mutates: every program of the test corpus
/// (tests/programs/**/*.expr) that compiles, in ordinal path order so a seed means the same
/// inputs on every machine, plus a few made here for what the corpus lacks: the seed form, an
/// empty module, and a block large enough to need EXTENDED_ARG jumps.
/// </summary>
public sealed class LoaderCorpus
{
    public LoaderCorpus(IReadOnlyList<byte[]> files)
    {
        if (files.Count == 0) throw new ArgumentException("the corpus is empty", nameof(files));
        Files = files;
        Layouts = files.Select(TxtcLayout.Of).ToArray();
        MaxFileLength = files.Max(f => f.Length);
    }

    public IReadOnlyList<byte[]> Files { get; }
    public IReadOnlyList<TxtcLayout> Layouts { get; }
    public int MaxFileLength { get; }

    /// <summary>The seed lesson's file (prints 635): the one seed-form sample.</summary>
    public static byte[] SeedFormFile { get; } = [0x03, 0xf3, 0x0d, 0x0a, 0x73, 0x08, 0x00, 0x00, 0x00, 0x64, 0x0c, 0x64, 0x30, 0x14, 0x64, 0x3b, 0x17];

    public static LoaderCorpus FromPrograms(string programsDirectory)
    {
        var files = Directory.EnumerateFiles(programsDirectory, "*.expr", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => MiniVmCompiler.Compile(File.ReadAllText(path), Path.GetFileName(path)))
            .Where(result => result.Success)
            .Select(result => result.ToBytes())
            .ToList();
        if (files.Count == 0) throw new InvalidOperationException($"no program in {programsDirectory} compiles");
        files.Add(SeedFormFile);
        files.Add(MiniVmCompiler.Compile("", "empty.expr").ToBytes());
        files.Add(MiniVmCompiler.Compile(WideJumpProgram(), "wide.expr").ToBytes());
        return new LoaderCorpus(files);
    }

    /// <summary>A loop whose body outgrows 16-bit jump offsets, so every jump has an EXTENDED_ARG
    /// prefix (about 70 KB of code: the corpus's largest file otherwise is a few KB).</summary>
    private static string WideJumpProgram()
    {
        var source = new StringBuilder("let x = 0;\nlet i = 0;\nwhile i < 3 {\n");
        for (int i = 0; i < 7_000; i++) source.Append("x = x + 1;\n");
        source.Append("if i == 1 { i = i + 1; continue; }\ni = i + 1;\n}\nprint(x);\n");
        return source.ToString();
    }
}
