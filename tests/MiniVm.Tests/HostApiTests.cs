namespace MiniVm.Tests;

/// <summary>The embedding API: load, run the top level, call functions by name, values both ways, errors.</summary>
public sealed class HostApiTests
{
    private const string Pricing = """
        let rate = 0.2;
        let calls = 0;
        fn price(base, quantity) {
            calls = calls + 1;
            return base * quantity * (1.0 + rate);
        }
        fn label(name) { return "item: " + name; }
        fn ratio(a, b) { return a / b; }
        fn count() { return calls; }
        fn flag(x) { return not x; }
        fn nothing() { }
        """;

    private static MiniVmInstance Instance(TextWriter? output = null)
    {
        var instance = MiniVmModule.Compile(Pricing, "pricing.expr").CreateInstance(new MiniVmOptions { Output = output ?? TextWriter.Null });
        instance.Run();
        return instance;
    }

    [Fact]
    public void CallsFunctionsByNameWithValuesBothWays()
    {
        var instance = Instance();
        Assert.Equal(36.0, instance.Call("price", 10, 3).AsFloat, 10);
        Assert.Equal("item: tea", instance.Call("label", "tea").AsString);
        Assert.False(instance.Call("flag", true).AsBool);
        Assert.True(instance.Call("nothing").IsNone);
        Assert.Equal(MiniVmValueKind.Int, instance.Call("count").Kind);
        Assert.Equal(1, instance.Call("count").AsInt);
    }

    [Fact]
    public void GlobalsPersistAcrossCallsOfOneInstanceOnly()
    {
        var first = Instance();
        first.Call("price", 1, 1);
        first.Call("price", 1, 1);
        Assert.Equal(2, first.Call("count").AsInt);
        Assert.Equal(0, Instance().Call("count").AsInt);
    }

    [Fact]
    public void GlobalReadBeforeTheTopLevelRanIsARuntimeError()
    {
        var instance = MiniVmModule.Compile(Pricing, "pricing.expr").CreateInstance(new MiniVmOptions { Output = TextWriter.Null });
        var error = Assert.Throws<MiniVmRuntimeException>(() => instance.Call("price", 1, 2));
        Assert.Equal("name 'calls' is used before it is assigned", error.Message);
        Assert.Equal([new MiniVmStackFrame("price", "pricing.expr", 4)], error.Trace);
    }

    [Fact]
    public void RuntimeErrorsCarryMessageAndTrace()
    {
        var error = Assert.Throws<MiniVmRuntimeException>(() => Instance().Call("ratio", 1, 0));
        Assert.Equal("division by zero", error.Message);
        Assert.Equal("error: division by zero\n  at ratio (pricing.expr:8)\n", error.FormatReport());
    }

    [Fact]
    public void BadCallsAreArgumentErrors()
    {
        var instance = Instance();
        Assert.Throws<ArgumentException>(() => instance.Call("missing"));
        Assert.Throws<ArgumentException>(() => instance.Call("price", 1));
    }

    [Fact]
    public void CompileErrorsCarryEveryDiagnostic()
    {
        var error = Assert.Throws<MiniVmCompileException>(() => MiniVmModule.Compile("let x = ;\nprint(y);\n", "bad.expr"));
        Assert.Equal(["MVM2001", "MVM3001"], error.Diagnostics.Select(d => d.Code));
    }

    [Fact]
    public void LoadsFromAStreamAndAFile()
    {
        var bytes = MiniVmModule.Compile("fn twice(x) { return 2 * x; }", "twice.expr").ToBytes();
        var fromStream = MiniVmModule.Load(new MemoryStream(bytes), "twice.txtc");
        Assert.Equal(["twice"], fromStream.FunctionNames);
        Assert.Equal(1, fromStream.ParameterCount("twice"));
        string path = Path.Combine(Path.GetTempPath(), $"twice-{Guid.NewGuid():N}.txtc");
        File.WriteAllBytes(path, bytes);
        try
        {
            Assert.Equal(84, MiniVmModule.Load(path).CreateInstance().Call("twice", 42).AsInt);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TheFinalExpressionIsReturnedAndPrinted()
    {
        var output = new StringWriter();
        var value = MiniVmModule.Compile("let x = 20;\nx + 1", "final.expr").Run(new MiniVmOptions { Output = output });
        Assert.Equal(21, value.AsInt);
        Assert.Equal("21\n", output.ToString());
    }

    [Fact]
    public void CallDepthLimitIsAnOption()
    {
        var module = MiniVmModule.Compile("fn down(n) { if n == 0 { return 0; } return down(n - 1); }", "down.expr");
        var instance = module.CreateInstance(new MiniVmOptions { MaxDepth = 50 });
        Assert.Equal(0, instance.Call("down", 49).AsInt);
        var error = Assert.Throws<MiniVmRuntimeException>(() => instance.Call("down", 50));
        Assert.Equal("stack overflow (call depth limit 50 exceeded)", error.Message);
        Assert.Equal(50, error.Trace.Count); // the 50 active calls; the 51st was refused
        Assert.Equal(0, instance.Call("down", 10).AsInt); // the instance is usable after an error
    }

    [Fact]
    public void TheDefaultTierIsTieredAndCompilesWhatIsHot()
    {
        var module = MiniVmModule.Compile("fn sq(x) { return x * x; }", "sq.expr");
        var instance = module.CreateInstance(new MiniVmOptions { JitThreshold = 3 });
        Assert.Equal(MiniVmTier.Tiered, instance.Tier);
        instance.Run();
        for (int i = 0; i < 3; i++) Assert.Equal(i * i, instance.Call("sq", i).AsInt);
        Assert.Equal(0, instance.Statistics.FunctionsCompiled);
        Assert.Equal(49, instance.Call("sq", 7).AsInt); // the fourth call is hot: compiled, then run
        Assert.Equal(1, instance.Statistics.FunctionsCompiled);
        Assert.True(instance.Statistics.CodeBytes > 0);
        Assert.Equal(64, instance.Call("sq", 8).AsInt);
        Assert.Equal(1, instance.Statistics.FunctionsCompiled);
    }

    [Fact]
    public void InstancesOfOneModuleRunOnManyThreads()
    {
        var module = MiniVmModule.Compile("fn fib(n) { if n < 2 { return n; } return fib(n - 1) + fib(n - 2); }", "fib.expr");
        var results = new long[8];
        Parallel.For(0, results.Length, i => results[i] = module.CreateInstance().Call("fib", 20 + i % 3).AsInt);
        Assert.Equal([6765, 10946, 17711, 6765, 10946, 17711, 6765, 10946], results);
    }

    [Fact]
    public void StringsMadeInLoopsAreCollected()
    {
        const string source = """
            let keep = "";
            let i = 0;
            while i < 200000 {
                let t = str(i) + "-" + str(i * 2);
                if i % 50000 == 0 { keep = keep + t + ";"; }
                i = i + 1;
            }
            keep
            """;
        var output = new StringWriter();
        var instance = MiniVmModule.Compile(source, "strings.expr").CreateInstance(new MiniVmOptions { Output = output });
        instance.Run();
        Assert.Equal("0-0;50000-100000;100000-200000;150000-300000;\n", output.ToString());
    }
}
