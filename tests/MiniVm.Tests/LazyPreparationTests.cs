using System.Globalization;
using System.Text;
using MiniVm.Bytecode.File;
using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Opcodes;

namespace MiniVm.Tests;

/// <summary>
/// Code blocks are prepared for execution on first use, not at load (docs/architecture.md,
/// "Preparation"): loading a large module allocates a small multiple of its size; a block with
/// bad code is still a load error; blocks nobody prepared run in every tier, and several threads
/// calling them for the first time at once get the right results.
/// </summary>
public sealed class LazyPreparationTests
{
    private const int FunctionCount = 10_000;

    /// <summary>The module (the shapes of bench/load's generator, and two functions for a run-time
    /// error), compiled once for the whole class.</summary>
    private static readonly Lazy<(string Source, byte[] Bytes)> Large = new(() =>
    {
        string source = Generate(FunctionCount);
        using var module = MiniVmModule.Compile(source, "large.expr");
        return (source, module.ToBytes());
    });

    private static byte[] LargeBytes => Large.Value.Bytes;

    public static TheoryData<string> Tiers => ["interpreter", "jit", "tiered", "tiered-threshold-1"];

    private static MiniVmOptions Options(string tier, TextWriter? output = null) => new()
    {
        Tier = tier == "interpreter" ? MiniVmTier.Interpreter : tier == "jit" ? MiniVmTier.Jit : MiniVmTier.Tiered,
        JitThreshold = tier == "tiered-threshold-1" ? 1 : null,
        Output = output ?? TextWriter.Null,
    };

    [Fact]
    public void LoadingALargeModuleAllocatesAtMostTenTimesItsSize()
    {
        byte[] bytes = LargeBytes;
        string path = Path.Combine(Path.GetTempPath(), $"minivm-lazy-{Environment.ProcessId}-{Guid.NewGuid():N}.txtc");
        File.WriteAllBytes(path, bytes);
        try
        {
            MiniVmModule.Load(bytes, "large.txtc").Dispose(); // the loader's own one-time set-up is not the module's cost
            foreach (var (how, load) in new (string, Func<MiniVmModule>)[]
            {
                ("bytes", () => MiniVmModule.Load(bytes, "large.txtc")),
                ("a stream", () => MiniVmModule.Load(new MemoryStream(bytes), "large.txtc")),
                ("a file", () => MiniVmModule.Load(path)),
            })
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var module = load();
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                module.Dispose();
                Assert.True(allocated <= 10L * bytes.Length,
                    $"loading {bytes.Length:N0} bytes from {how} allocated {allocated:N0} bytes ({(double)allocated / bytes.Length:0.0}× the file)");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AFunctionWithBadCodeIsStillALoadError()
    {
        var image = TxtcReader.Read(LargeBytes, "large.txtc");
        // Stack underflow in a function in the middle of the module.
        var error = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(WithFunction(image, 7_777, Asm.Code("POP_TOP", "LOAD_CONST 0", "RETURN_VALUE")), "bad.txtc"));
        Assert.Equal("bad.txtc: verification failed in function 'f7777' at offset 0: stack underflow: POP_TOP needs 1 value(s), the stack holds 0", error.Message);

        // The verifier's tables serve every block in turn: a jump into an instruction's argument is
        // caught in the function verified right after the longest one, where that offset is an
        // instruction start.
        int longest = Enumerable.Range(0, image.Functions.Length - 1).MaxBy(i => image.Functions[i].Code.Length);
        int target = Instruction.DecodeAll(image.Functions[longest].Code).Select(i => i.Offset).First(o => o >= 4 && o % 4 is 0 or 1);
        // JUMP_ABSOLUTE (bytes 0-2), then LOAD_CONST/POP_TOP pairs: instructions start at 3 + 4j and 6 + 4j.
        var jumpIntoArgument = Asm.Code(["JUMP_ABSOLUTE " + target, .. Enumerable.Repeat(new[] { "LOAD_CONST 0", "POP_TOP" }, target / 4 + 1).SelectMany(p => p), "LOAD_CONST 0", "RETURN_VALUE"]);
        error = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(WithFunction(image, longest + 1, jumpIntoArgument), "bad.txtc"));
        Assert.Equal($"bad.txtc: verification failed in function '{image.Functions[longest + 1].Name}' at offset 0: JUMP_ABSOLUTE jumps to {target}, which is not the start of an instruction", error.Message);

        // An unknown opcode in the last function.
        int last = image.Functions.Length - 1;
        error = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(WithFunction(image, last, [0xFF]), "bad.txtc"));
        Assert.Equal($"bad.txtc: verification failed in function '{image.Functions[last].Name}' at offset 0: unknown opcode 255", error.Message);
    }

    [Theory]
    [MemberData(nameof(Tiers))]
    public void FunctionsNeverPreparedRunInEveryTier(string tier)
    {
        using var module = MiniVmModule.Load(LargeBytes, "large.txtc");
        var output = new StringWriter();
        var instance = module.CreateInstance(Options(tier, output));
        instance.Run();
        Assert.Equal(ExpectedTotal(FunctionCount) + "\n", output.ToString());

        // Functions the top level never called, several of them calling others nobody called either.
        foreach (int k in new[] { 4, 5, 6, 7, 4_001, 4_002, 4_003, 4_004, 7_777, 9_997, 9_998, 9_999 })
            foreach (var (a, b) in new (long, long)[] { (3, 4), (0, 5), (6, -2) })
                Assert.True(Expected(k, a, b) == instance.Call($"f{k}", a, b).AsInt, $"f{k}({a}, {b}) in the {tier} mode");

        // A run-time error in a block prepared only now: the same message and trace in every tier.
        var error = Assert.Throws<MiniVmRuntimeException>(() => instance.Call("callsBoom", 0));
        Assert.Equal("division by zero", error.Message);
        string[] lines = Large.Value.Source.Split('\n');
        int Line(string text) => Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal)) + 1;
        Assert.Equal(new MiniVmStackFrame[] { new("boom", "large.expr", Line("return 10 / a;")), new("callsBoom", "large.expr", Line("return boom(a) + 1;")) }, error.Trace);
    }

    [Theory]
    [MemberData(nameof(Tiers))]
    public void ConcurrentFirstCallsGiveCorrectResults(string tier)
    {
        using var module = MiniVmModule.Load(LargeBytes, "large.txtc");
        const int threads = 6;
        var start = new Barrier(threads);
        var failures = new List<string>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                var instance = module.CreateInstance(Options(tier));
                start.SignalAndWait();
                // Every thread calls the same never-prepared functions in the same order, so first
                // calls (and, in the compiling modes, first compiles) race.
                for (int k = 5_000; k < 5_300; k++)
                {
                    long got = instance.Call($"f{k}", 3, 4).AsInt;
                    if (got != Expected(k, 3, 4))
                        lock (failures) failures.Add($"thread {t}: f{k}(3, 4) = {got}, expected {Expected(k, 3, 4)}");
                }
            }
            catch (Exception e)
            {
                lock (failures) failures.Add($"thread {t}: {e}");
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.Empty(failures);
    }

    private static byte[] WithFunction(ModuleImage image, int index, byte[] code)
    {
        var old = image.Functions[index];
        var functions = (CodeObject[])image.Functions.Clone();
        functions[index] = new CodeObject(old.Name, old.ParamCount, old.LocalCount, Math.Max(old.MaxStack, 1), old.FirstLine,
            code, old.Constants.Length > 0 ? old.Constants : [Constant.None], old.LocalNames, [new LineEntry(0, old.FirstLine)]);
        return TxtcWriter.Write(new ModuleImage(image.SourceName, image.Globals, functions, image.TopLevel));
    }

    /// <summary>bench/load's module: four shapes of function in turn (arithmetic and a branch; a
    /// loop and a call to the previous function; a string constant; floats and a call), then a
    /// top level that calls six of them and prints the sum; plus <c>boom</c> and <c>callsBoom</c>.</summary>
    private static string Generate(int functions)
    {
        var text = new StringBuilder();
        for (int k = 0; k < functions; k++)
        {
            string n = k.ToString(CultureInfo.InvariantCulture), previous = (k - 1).ToString(CultureInfo.InvariantCulture);
            switch (k % 4)
            {
                case 0:
                    text.Append(CultureInfo.InvariantCulture, $"fn f{n}(a, b) {{\n    let x = a * {k % 97 + 2} + b;\n    if x > {k % 1000} {{ x = x - 3; }} else {{ x = x + 1; }}\n    return x;\n}}\n");
                    break;
                case 1:
                    text.Append(CultureInfo.InvariantCulture, $"fn f{n}(a, b) {{\n    let i = 0;\n    let s = 0;\n    while i < a {{ s = s + i * {k % 13 + 1}; i = i + 1; }}\n    if a > 0 {{ s = s + f{previous}(a - 1, b); }}\n    return s + b;\n}}\n");
                    break;
                case 2:
                    text.Append(CultureInfo.InvariantCulture, $"fn f{n}(a, b) {{\n    let name = \"function {n} of \" + str(a);\n    if a >= 0 and b >= 0 {{ return a + b + {k}; }}\n    print(name);\n    return 0 - 1;\n}}\n");
                    break;
                default:
                    text.Append(CultureInfo.InvariantCulture, $"fn f{n}(a, b) {{\n    let d = a * 0.5 + b * {k % 50 + 1}.25;\n    if a > 0 {{ d = d + f{previous}(a - 1, b); }}\n    return int(d);\n}}\n");
                    break;
            }
        }
        text.Append("fn boom(a) {\n    return 10 / a;\n}\nfn callsBoom(a) {\n    return boom(a) + 1;\n}\n");
        text.Append("let total = 0;\n");
        foreach (int k in TopLevelCalls(functions)) text.Append(CultureInfo.InvariantCulture, $"total = total + f{k}(3, 4);\n");
        text.Append("print(total);\n");
        return text.ToString();
    }

    private static int[] TopLevelCalls(int functions) => [0, 1, 2, 3, functions / 2, functions - 1];

    private static long ExpectedTotal(int functions) => TopLevelCalls(functions).Sum(k => Expected(k, 3, 4));

    /// <summary>What <c>f{k}(a, b)</c> returns, worked out here in C#.</summary>
    private static long Expected(int k, long a, long b)
    {
        switch (k % 4)
        {
            case 0:
            {
                long x = a * (k % 97 + 2) + b;
                return x > k % 1000 ? x - 3 : x + 1;
            }
            case 1:
            {
                long s = 0;
                for (long i = 0; i < a; i++) s += i * (k % 13 + 1);
                if (a > 0) s += Expected(k - 1, a - 1, b);
                return s + b;
            }
            case 2:
                return a >= 0 && b >= 0 ? a + b + k : -1;
            default:
            {
                double d = a * 0.5 + b * (k % 50 + 1 + 0.25);
                if (a > 0) d += Expected(k - 1, a - 1, b);
                return (long)d;
            }
        }
    }
}
