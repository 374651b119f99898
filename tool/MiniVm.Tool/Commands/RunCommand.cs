using System.Diagnostics;

namespace MiniVm.Tool.Commands;

/// <summary><c>minivm run FILE</c>: runs a .txtc, or a .expr compiled in memory.</summary>
internal static class RunCommand
{
    public static int Execute(string path, MiniVmTier? tier, int? jitThreshold, int? maxDepth, long? maxSteps, bool stats, bool dumpAsm, bool jitLog, bool inlining)
    {
        var module = InputFiles.LoadModule(path);
        // Program output is buffered (print-heavy programs would otherwise pay a syscall per line)
        // and flushed before anything goes to stderr, so the two streams interleave as written.
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        MiniVmInstance instance;
        try
        {
            // The listing goes to stderr, like --stats, so program output stays clean.
            instance = module.CreateInstance(new MiniVmOptions
            {
                Tier = tier, JitThreshold = jitThreshold, MaxDepth = maxDepth, MaxSteps = maxSteps, Output = stdout,
                AssemblyListing = dumpAsm ? new FlushingStderr(stdout) : null,
                JitLog = jitLog ? new FlushingStderr(stdout) : null,
                Inlining = inlining,
            });
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new ToolException(ExitCodes.CompileErrorOrUsage, $"error: {e.Message}");
        }
        var clock = Stopwatch.StartNew();
        int exitCode = ExitCodes.Success;
        try
        {
            instance.Run();
        }
        catch (MiniVmRuntimeException e)
        {
            stdout.Flush();
            Console.Error.Write(e.FormatReport());
            exitCode = ExitCodes.RuntimeError;
        }
        finally
        {
            stdout.Flush();
        }
        if (stats)
        {
            var s = instance.Statistics;
            Console.Error.WriteLine($"[stats] tier: {s.Tier.ToString().ToLowerInvariant()}");
            Console.Error.WriteLine($"[stats] functions compiled: {s.FunctionsCompiled}, OSR entries: {s.OsrEntries}, deoptimizations: {s.Deoptimizations}, recompiles: {s.Recompiles}, " +
                $"code: {s.CodeBytes} bytes, compile time: {s.CompileTime.TotalMilliseconds:F1} ms" +
                (s.CompileFailures > 0 ? $", could not compile: {s.CompileFailures} (interpreted)" : ""));
            Console.Error.WriteLine($"[stats] run time: {clock.Elapsed.TotalMilliseconds:F1} ms");
        }
        return exitCode;
    }
}

/// <summary>stderr for the assembly listing: program output written so far is flushed first, so
/// a listing appears where the compile happened relative to the output.</summary>
internal sealed class FlushingStderr(TextWriter programOutput) : TextWriter
{
    public override System.Text.Encoding Encoding => Console.Error.Encoding;

    public override void Write(char value) => Console.Error.Write(value);

    public override void Write(string? value)
    {
        programOutput.Flush();
        Console.Error.Write(value);
    }
}
