using System.Text;
using MiniVm.Bytecode.File;
using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Verification;

namespace MiniVm.Tests;

/// <summary>
/// Each cap of <see cref="LoaderLimits"/>: a file exactly at the default cap loads, one item or
/// byte over is rejected with a message that names the field, the offset and the limit. (The
/// file-size cap is tested with a host-set limit: a 256 MiB file is too large for a unit test.)
/// </summary>
public sealed class LoaderLimitTests
{
    private static readonly Constant[] NoneConstant = [Constant.None];
    private static readonly byte[] ReturnNone = Asm.Code("LOAD_CONST 0", "RETURN_VALUE");

    private static CodeObject TopLevel(byte[]? code = null, Constant[]? constants = null, string[]? localNames = null, LineEntry[]? lines = null) =>
        new("<module>", 0, localNames?.Length ?? 0, 1, 1, code ?? ReturnNone, constants ?? NoneConstant, localNames ?? [], lines ?? [new LineEntry(0, 1)]);

    private static byte[] File(CodeObject topLevel, CodeObject[]? functions = null, string[]? globals = null) =>
        TxtcWriter.Write(new ModuleImage("limits.expr", globals ?? [], functions ?? [], topLevel));

    private static void Loads(byte[] file) => MiniVmModule.Load(file, "limits.txtc");

    private static string Rejected(byte[] file) =>
        Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(file, "limits.txtc")).Message;

    [Fact]
    public void DefaultsAreTheDocumentedOnes()
    {
        Assert.Equal(256 * 1024 * 1024, LoaderLimits.DefaultMaxFileSize);
        Assert.Equal(MiniVmModule.MaxFileSize, LoaderLimits.DefaultMaxFileSize);
        Assert.Equal(4 * 1024 * 1024, LoaderLimits.DefaultMaxCodeSize);
        Assert.Equal(1024 * 1024, LoaderLimits.DefaultMaxConstants);
        Assert.Equal(16 * 1024 * 1024, LoaderLimits.DefaultMaxStringLength);
        Assert.Equal(65_535, LoaderLimits.DefaultMaxFunctions);
        Assert.Equal(65_535, LoaderLimits.DefaultMaxGlobals);
        Assert.Equal((65_535, 65_535, 255), (LoaderLimits.MaxLocals, LoaderLimits.MaxStackDepth, LoaderLimits.MaxParameters));
        var docs = System.IO.File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "bytecode.md"));
        foreach (string documented in new[] { "268,435,456", "4,194,304", "1,048,576", "16,777,216", "65,535" })
            Assert.Contains(documented, docs);
    }

    [Fact]
    public void FileSizeCap()
    {
        byte[] file = File(TopLevel());
        var atCap = new LoaderLimits { MaxFileSize = file.Length };
        Verifier.Verify(TxtcReader.Read(file, "limits.txtc", atCap), "limits.txtc");
        var error = Assert.Throws<MiniVmLoadException>(() => TxtcReader.Read(file, "limits.txtc", new LoaderLimits { MaxFileSize = file.Length - 1 }));
        Assert.Equal($"limits.txtc: file is larger than the limit of {file.Length - 1} bytes ({file.Length} bytes)", error.Message);

        // The host API takes the same caps, from bytes and from a stream (which stops reading there).
        using (MiniVmModule.Load(file, "limits.txtc", atCap)) { }
        Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(file, "limits.txtc", new LoaderLimits { MaxFileSize = file.Length - 1 }));
        using (MiniVmModule.Load(new MemoryStream(file), "limits.txtc", atCap)) { }
        var fromStream = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(new MemoryStream(file), "limits.txtc", new LoaderLimits { MaxFileSize = file.Length - 1 }));
        Assert.Contains($"file is larger than the limit of {file.Length - 1} bytes", fromStream.Message);
    }

    [Fact]
    public void CodeSizeCap()
    {
        // LOAD_CONST 0; POP_TOP repeated, then LOAD_CONST 0; RETURN_VALUE: exactly the cap.
        const int pairs = LoaderLimits.DefaultMaxCodeSize / 4 - 1;
        var code = new byte[LoaderLimits.DefaultMaxCodeSize];
        for (int i = 0; i < pairs; i++) Asm.Code("LOAD_CONST 0", "POP_TOP").CopyTo(code, i * 4);
        ReturnNone.CopyTo(code, pairs * 4);
        Loads(File(TopLevel(code)));

        string error = Rejected(File(TopLevel([.. code, 83])));
        Assert.Matches(@"^limits\.txtc: the length of code 4194305 at offset \d+ exceeds the limit of 4194304 bytes$", error);
    }

    [Fact]
    public void ConstantCap()
    {
        var constants = Enumerable.Range(0, LoaderLimits.DefaultMaxConstants).Select(i => Constant.FromInt(i)).ToArray();
        constants[0] = Constant.None;
        Loads(File(TopLevel(constants: constants)));
        string error = Rejected(File(TopLevel(constants: [.. constants, Constant.FromInt(-1)])));
        Assert.Matches(@"^limits\.txtc: the number of constants 1048577 at offset \d+ exceeds the limit of 1048576$", error);
    }

    [Fact]
    public void StringLengthCap()
    {
        string atCap = new('a', LoaderLimits.DefaultMaxStringLength);
        Loads(File(TopLevel(constants: [Constant.None, Constant.FromString(atCap)])));
        string error = Rejected(File(TopLevel(constants: [Constant.None, Constant.FromString(atCap + "b")])));
        Assert.Matches(@"^limits\.txtc: the length of a string constant 16777217 at offset \d+ exceeds the limit of 16777216 bytes$", error);

        // The cap counts UTF-8 bytes, and holds for names too.
        string wide = new('\u00e9', LoaderLimits.DefaultMaxStringLength / 2 + 1);
        string nameError = Rejected(File(TopLevel(), globals: [wide]));
        Assert.Matches(@"^limits\.txtc: the length of a global's name 16777218 at offset \d+ exceeds the limit of 16777216 bytes$", nameError);
    }

    [Fact]
    public void FunctionCap()
    {
        var function = new CodeObject("f", 0, 0, 1, 1, ReturnNone, NoneConstant, [], [new LineEntry(0, 1)]);
        var functions = Enumerable.Repeat(function, LoaderLimits.DefaultMaxFunctions).ToArray();
        Loads(File(TopLevel(), functions));
        string error = Rejected(File(TopLevel(), [.. functions, function]));
        Assert.Matches(@"^limits\.txtc: the number of functions 65536 at offset \d+ exceeds the limit of 65535$", error);
    }

    [Fact]
    public void GlobalCap()
    {
        var globals = Enumerable.Range(0, LoaderLimits.DefaultMaxGlobals).Select(i => $"g{i}").ToArray();
        Loads(File(TopLevel(), globals: globals));
        string error = Rejected(File(TopLevel(), globals: [.. globals, "one_more"]));
        Assert.Matches(@"^limits\.txtc: the number of globals 65536 at offset \d+ exceeds the limit of 65535$", error);
    }

    [Fact]
    public void LocalNameCap()
    {
        var names = Enumerable.Range(0, LoaderLimits.MaxLocals).Select(i => $"v{i}").ToArray();
        Loads(File(TopLevel(localNames: names)));
        string error = Rejected(File(TopLevel(localNames: [.. names, "one_more"])));
        Assert.Matches(@"^limits\.txtc: the number of local names 65536 at offset \d+ exceeds the limit of 65535$", error);
    }

    [Fact]
    public void LineTableHasAtMostOneRowPerCodeByte()
    {
        // Rows need not start instructions: four bytes of code may have four rows, not five.
        var four = Enumerable.Range(0, 4).Select(i => new LineEntry(i, i + 1)).ToArray();
        Loads(File(TopLevel(lines: four)));
        string error = Rejected(File(TopLevel(lines: [.. four, new LineEntry(4, 5)])));
        Assert.Matches(@"^limits\.txtc: line table at offset \d+ has 5 row\(s\) for 4 byte\(s\) of code$", error);
    }

    [Fact]
    public void HostSetLimitsApplyToEveryCap()
    {
        var module = new ModuleImage("limits.expr", ["g1", "g2"], [new CodeObject("f", 0, 0, 1, 1, ReturnNone, NoneConstant, [], [new LineEntry(0, 1)])],
            TopLevel(constants: [Constant.None, Constant.FromString(new string('s', 16))]));
        byte[] file = TxtcWriter.Write(module);
        string Fails(LoaderLimits limits) =>
            Assert.Throws<MiniVmLoadException>(() => TxtcReader.Read(file, "limits.txtc", limits)).Detail;
        Assert.Contains("the number of globals 2 at offset", Fails(new LoaderLimits { MaxGlobals = 1 }));
        Assert.Contains("the number of functions 1 at offset", Fails(new LoaderLimits { MaxFunctions = 0 }));
        Assert.Contains("the number of constants 2 at offset", Fails(new LoaderLimits { MaxConstants = 1 }));
        Assert.Contains("the length of code 4 at offset", Fails(new LoaderLimits { MaxCodeSize = 3 }));
        Assert.Contains("the length of a string constant 16 at offset", Fails(new LoaderLimits { MaxStringLength = 15 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoaderLimits { MaxCodeSize = -1 });
        TxtcReader.Read(file, "limits.txtc", new LoaderLimits { MaxGlobals = 2, MaxFunctions = 1, MaxConstants = 2, MaxCodeSize = 4, MaxStringLength = 16 });
    }

    [Fact]
    public void SeedCodeIsHeldToTheCodeSizeCap()
    {
        byte[] seed = [0x03, 0xf3, 0x0d, 0x0a, 0x73, 0x08, 0x00, 0x00, 0x00, 0x64, 0x0c, 0x64, 0x30, 0x14, 0x64, 0x3b, 0x17];
        TxtcReader.Read(seed, "seed.txtc", new LoaderLimits { MaxCodeSize = 8 });
        var error = Assert.Throws<MiniVmLoadException>(() => TxtcReader.Read(seed, "seed.txtc", new LoaderLimits { MaxCodeSize = 7 }));
        Assert.Equal("seed.txtc: the length of seed code 8 at offset 5 exceeds the limit of 7 bytes", error.Message);
    }

    [Fact]
    public void CompilerReportsProgramsBeyondTheCaps()
    {
        // The compiler must not write a file the loader refuses: each cap is MVM4001 at compile time.
        var globals = new StringBuilder();
        for (int i = 0; i <= LoaderLimits.DefaultMaxGlobals; i++) globals.Append("let g").Append(i).Append(" = 0;\n");
        Assert.Equal("many.expr(1,1): error MVM4001: the program has 65536 global variables; the limit is 65535",
            Assert.Single(MiniVm.Compiler.MiniVmCompiler.Compile(globals.ToString(), "many.expr").Diagnostics).ToString());

        var functions = new StringBuilder();
        for (int i = 0; i <= LoaderLimits.DefaultMaxFunctions; i++) functions.Append("fn f").Append(i).Append("() {}\n");
        Assert.Equal("many.expr(1,1): error MVM4001: the program has 65536 functions; the limit is 65535",
            Assert.Single(MiniVm.Compiler.MiniVmCompiler.Compile(functions.ToString(), "many.expr").Diagnostics).ToString());

        string longString = "print(\"" + new string('x', LoaderLimits.DefaultMaxStringLength + 1) + "\");";
        Assert.Equal("long.expr(1,1): error MVM4001: a string in the top-level code is 16777217 bytes long (UTF-8); the limit is 16777216",
            Assert.Single(MiniVm.Compiler.MiniVmCompiler.Compile(longString, "long.expr").Diagnostics).ToString());

        // About 4.2 MB of code: x = x + 1 is 10 bytes.
        var code = new StringBuilder("fn big() {\nlet x = 0;\n");
        for (int i = 0; i < LoaderLimits.DefaultMaxCodeSize / 10 + 1; i++) code.Append("x = x + 1;\n");
        code.Append("return x;\n}\n");
        var bigCode = Assert.Single(MiniVm.Compiler.MiniVmCompiler.Compile(code.ToString(), "big.expr").Diagnostics).ToString();
        Assert.Matches(@"^big\.expr\(1,4\): error MVM4001: function 'big' compiles to \d+ bytes of code; the limit is 4194304$", bigCode);
    }
}
