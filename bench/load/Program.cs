using System.Diagnostics;
using System.Globalization;
using MiniVm;
using MiniVm.Bench.Load;
using MiniVm.Bytecode.File;
using MiniVm.Bytecode.Verification;

// bench/load: generates a module of many functions (deterministically), compiles it to .txtc,
// then loads it again and again, reporting the median load time and the bytes one load allocates
// (GC.GetAllocatedBytesForCurrentThread, which counts every allocation of this thread exactly).
// Usage: dotnet run -c Release --project bench/load -- [--functions N] [--runs N] [--out DIR]

int functions = 10_000, runs = 21;
string outDir = Path.Combine(AppContext.BaseDirectory, "load-out");
for (int a = 0; a < args.Length; a++)
{
    switch (args[a])
    {
        case "--functions": functions = int.Parse(args[++a], CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(args[++a], CultureInfo.InvariantCulture); break;
        case "--out": outDir = args[++a]; break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[a]}'; usage: [--functions N] [--runs N] [--out DIR]");
            return 2;
    }
}

string source = ModuleGenerator.Generate(functions);
string name = $"load{functions}";
byte[] bytes;
using (var compiled = MiniVmModule.Compile(source, name + ".expr")) bytes = compiled.ToBytes();
Directory.CreateDirectory(outDir);
string exprPath = Path.Combine(outDir, name + ".expr"), txtcPath = Path.Combine(outDir, name + ".txtc");
File.WriteAllText(exprPath, source);
File.WriteAllBytes(txtcPath, bytes);

// The module runs, and prints what it always prints.
var output = new StringWriter();
using (var module = MiniVmModule.Load(bytes, name + ".txtc")) module.Run(new MiniVmOptions { Output = output, Tier = MiniVmTier.Interpreter });
Console.WriteLine($"module: {functions:N0} functions, {source.Length:N0} bytes of source, {bytes.Length:N0} bytes of .txtc ({txtcPath}); it prints {output.ToString().Trim()}");
Console.WriteLine($"runs: {runs} per row (after 3 warm-up runs); median time, and bytes allocated by one run (the same every run)");
Console.WriteLine();
Console.WriteLine("| what | median ms | allocated bytes | × file size |");
Console.WriteLine("| --- | ---: | ---: | ---: |");

Measure("TxtcReader.Read (bytes)", () => TxtcReader.Read(bytes, name + ".txtc"));
var image = TxtcReader.Read(bytes, name + ".txtc");
Measure("Verifier.Verify", () => Verifier.Verify(image, name + ".txtc"));
Measure("MiniVmModule.Load(bytes)", () => MiniVmModule.Load(bytes, name + ".txtc").Dispose());
Measure("MiniVmModule.Load(path)", () => MiniVmModule.Load(txtcPath).Dispose());
Measure("Load(bytes) + Run (interpreter)", () =>
{
    using var module = MiniVmModule.Load(bytes, name + ".txtc");
    module.Run(new MiniVmOptions { Output = TextWriter.Null, Tier = MiniVmTier.Interpreter });
});
return 0;

void Measure(string what, Action action)
{
    for (int i = 0; i < 3; i++) action();
    var times = new double[runs];
    long allocated = long.MaxValue;
    for (int i = 0; i < runs; i++)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        action();
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
    }
    Array.Sort(times);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {what} | {times[runs / 2]:0.00} | {allocated:N0} | {(double)allocated / bytes.Length:0.0} |"));
}
