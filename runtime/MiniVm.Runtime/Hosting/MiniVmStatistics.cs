namespace MiniVm;

/// <summary>What the JIT did for one instance so far (<c>dotnet minivm run --stats</c>).</summary>
/// <param name="Tier">The tier the instance runs in.</param>
/// <param name="FunctionsCompiled">Code blocks compiled to machine code by this instance's runs (the top level counts as one).</param>
/// <param name="OsrEntries">Times a running loop moved from the interpreter into compiled code (on-stack replacement).</param>
/// <param name="CodeBytes">Machine code bytes those compiles produced.</param>
/// <param name="CompileTime">Time spent compiling.</param>
/// <param name="CompileFailures">Code blocks the JIT could not compile (they keep running in the interpreter).</param>
public sealed record MiniVmStatistics(MiniVmTier Tier, int FunctionsCompiled, int OsrEntries, long CodeBytes, TimeSpan CompileTime, int CompileFailures = 0);
