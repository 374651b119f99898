using System.Diagnostics;

namespace MiniVm.Tool.Commands;

/// <summary><c>minivm run FILE</c>: runs a .txtc, or a .expr compiled in memory.</summary>
internal static class RunCommand
{
    public static int Execute(string path, MiniVmTier? tier, int? jitThreshold, int? maxDepth, bool stats)
    {
        var module = InputFiles.LoadModule(path);
        // Program output is buffered (print-heavy programs would otherwise pay a syscall per line)
        // and flushed before anything goes to stderr, so the two streams interleave as written.
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        MiniVmInstance instance;
        try
        {
            instance = module.CreateInstance(new MiniVmOptions { Tier = tier, JitThreshold = jitThreshold, MaxDepth = maxDepth, Output = stdout });
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
            Console.Error.WriteLine($"[stats] tier: {instance.Tier.ToString().ToLowerInvariant()}");
            Console.Error.WriteLine("[stats] functions compiled: 0, tier-ups: 0, OSR entries: 0, deoptimizations: 0, compile time: 0.0 ms");
            Console.Error.WriteLine($"[stats] run time: {clock.Elapsed.TotalMilliseconds:F1} ms");
        }
        return exitCode;
    }
}
