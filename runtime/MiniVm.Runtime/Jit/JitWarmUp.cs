using MiniVm.Bytecode.Verification;
using MiniVm.Compiler;
using MiniVm.Interpreter;
using MiniVm.Jit.Compilation;

namespace MiniVm.Jit;

/// <summary>
/// A process's first compile is slow (about 15 ms here): the assembler's code and tables are
/// loaded and initialized on first use. The warm-up does that on a background thread, by
/// compiling (never installing or running) a small program that uses every kind of instruction,
/// while the process is still busy starting: parsing its command line, loading the module.
/// </summary>
internal static class JitWarmUp
{
    private const string Program = """
        fn f(a, b) {
            let x = a * 2 + b - 1;
            let y = x / 3 % 5;
            let z = -x * 1.5 / 2.0 + sqrt(y) - 0.5;
            if x < y and not (z >= 1.0 or x == 2) { return x; }
            while y > 0 { y = y - 1; }
            return str(z) + "";
        }
        let g = f(1, 2);
        print(g, abs(-1), min(1, 2));
        g
        """;

    private static int s_started;

    /// <summary>Starts the warm-up once per process (where the JIT runs at all).</summary>
    public static void Start()
    {
        if (!JitEngine.IsSupported || Interlocked.Exchange(ref s_started, 1) != 0) return;
        var thread = new Thread(Run) { IsBackground = true, Name = "MiniVm JIT warm-up" };
        thread.Start();
    }

    private static void Run()
    {
        try
        {
            var image = MiniVmCompiler.Compile(Program, "warm-up.expr").Module!;
            Verifier.Verify(image, "warm-up.expr");
            var module = new PreparedModule(image);
            foreach (var code in module.AllCode)
            {
                // As an optimizing compile (with nothing to bet on), which takes the baseline's paths
                // and also those of guards and deoptimization exits.
                var speculation = new Speculation(new Profiling.FunctionProfile(code.ParamCount, code.Code.Length), code);
                FunctionCompiler.Compile(module, code, entryTable: 0, new CompileRequest(0, speculation, 0));
            }
        }
        catch (Exception)
        {
            // Only time is at stake: a failure here shows up, if it is real, in the first real compile.
        }
    }
}
