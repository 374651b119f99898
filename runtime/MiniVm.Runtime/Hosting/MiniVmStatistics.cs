namespace MiniVm;

/// <summary>What the JIT did for one instance so far (<c>dotnet minivm run --stats</c>).</summary>
/// <param name="Tier">The tier the instance runs in.</param>
/// <param name="FunctionsCompiled">Code blocks compiled to machine code by this instance's runs (the top level counts as one).</param>
/// <param name="OsrEntries">Times a running loop moved from the interpreter into compiled code (on-stack replacement).</param>
/// <param name="CodeBytes">Machine code bytes those compiles produced.</param>
/// <param name="CompileTime">Time spent compiling.</param>
/// <param name="CompileFailures">Code blocks the JIT could not compile (they keep running in the interpreter).</param>
/// <param name="Deoptimizations">Times optimized code found a bet of its profile wrong and handed its activation back to the interpreter.</param>
/// <param name="Recompiles">Compiles of code blocks whose earlier code deoptimized (included in <paramref name="FunctionsCompiled"/>).</param>
/// <param name="ForcedDeoptimizations">Deoptimizations forced by <see cref="MiniVmOptions.ForceDeoptimization"/> (not in <paramref name="Deoptimizations"/>).</param>
public sealed record MiniVmStatistics(MiniVmTier Tier, int FunctionsCompiled, int OsrEntries, long CodeBytes, TimeSpan CompileTime, int CompileFailures = 0,
    int Deoptimizations = 0, int Recompiles = 0, int ForcedDeoptimizations = 0);
