using System.Text;
using MiniVm.Interpreter;
using MiniVm.Jit.Compilation;
using MiniVm.Values;

namespace MiniVm.Jit;

/// <summary>
/// <c>dotnet minivm run --jit-log</c>: one line per compile, on-stack replacement and
/// deoptimization, as HotSpot's <c>-XX:+PrintCompilation</c> and V8's <c>--trace-deopt</c> report
/// them. Code is named as in traces, places by the bytecode offset <c>dis</c> shows and the source line:
/// <code>
/// jit: compile test #1 (optimizing: 1 branch, 1 kind bet) 160 bytes in 0.4 ms
/// jit: deopt test at offset 9 (line 1): branch never taken (the jump to offset 21)
/// jit: recompile test #2 after 1 deoptimization (optimizing: 1 kind bet) 198 bytes in 0.3 ms
/// </code>
/// </summary>
internal sealed class JitLog(TextWriter writer, JitEngine engine)
{
    public void Compiled(CompiledFunction compiled, int deoptimizations, TimeSpan time)
    {
        var line = new StringBuilder("jit: ");
        line.Append(deoptimizations > 0 ? "recompile " : "compile ").Append(engine.CodeName(compiled.Code.Index)).Append(" #").Append(compiled.Version);
        if (deoptimizations > 0) line.Append(" after ").Append(Count(deoptimizations, "deoptimization"));
        line.Append(" (").Append(Kind(compiled, deoptimizations)).Append(") ");
        line.Append(compiled.Block.Code.Length).Append(" bytes in ").Append(time.TotalMilliseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)).Append(" ms");
        Write(line.ToString());
    }

    public void CompileFailed(FunctionCode code, Exception failure) =>
        Write($"jit: compile {engine.CodeName(code.Index)} failed ({failure.GetType().Name}: {failure.Message}); it stays interpreted");

    public void OsrEntry(FunctionCode code, int header) =>
        Write($"jit: osr {engine.CodeName(code.Index)} at {Place(code, header)}");

    public void Deoptimized(ExecutionState state, FunctionCode code, DeoptPoint exit, int frameSlot, bool forced)
    {
        string suffix = forced ? " (forced)" : "";
        if (exit.Inlined is { } guard)
        {
            // A guard of an inline body: told as the callee's own deoptimization, where the callee
            // failed its bet, with the caller it was inlined into (V8's --trace-deopt does the same).
            var callee = state.Module.AllCode[exit.Detail];
            Write($"jit: deopt {engine.CodeName(callee.Index)} (inlined into {engine.CodeName(code.Index)}) at {Place(callee, guard.At)}: " +
                $"{Reason(state, callee, guard.AsCalleeExit(), JitRun.InlinedFrameSlot(state, code, exit, frameSlot))}{suffix}");
            return;
        }
        Write($"jit: deopt {engine.CodeName(code.Index)} at {Place(code, exit.ResumeAt)}: {Reason(state, code, exit, frameSlot)}{suffix}");
    }

    private static string Kind(CompiledFunction compiled, int deoptimizations)
    {
        if (!compiled.Speculative)
            return deoptimizations >= JitEngine.MaxDeoptimizations ? "baseline: too many deoptimizations" : "baseline";
        int branches = 0, kinds = 0, inlined = 0;
        var counted = new HashSet<int>(); // exits resuming at one instruction stand for one bet
        foreach (var exit in compiled.Block.DeoptPoints)
        {
            if (exit.Reason is DeoptReason.OsrEntry or DeoptReason.CallDepth or DeoptReason.StepReservation || !counted.Add(exit.Reason == DeoptReason.ParameterKind ? -1 - exit.Detail : exit.ResumeAt)) continue;
            if (exit.Reason is DeoptReason.BranchNeverTaken or DeoptReason.BranchAlwaysTaken) branches++;
            else if (exit.Reason == DeoptReason.InlinedCall) inlined++;
            else kinds++;
        }
        return $"optimizing: {Count(branches, "branch", "branches")}, {Count(kinds, "kind bet")}" + (inlined > 0 ? $", {Count(inlined, "call")} inlined" : "");
    }

    private static string Place(FunctionCode code, int instruction) =>
        $"offset {code.Offsets[instruction]} (line {code.LineAt(instruction)})";

    private string Reason(ExecutionState state, FunctionCode code, DeoptPoint exit, int frameSlot)
    {
        var frame = state.Segment.AsSpan(frameSlot);
        string expected = string.Join(" or ", Enum.GetValues<ValueKind>().Where(k => k < ValueKind.Unassigned && (exit.Expected & KindAnalysis.Of(k)) != 0).Select(Value.TypeNameOf));
        return exit.Reason switch
        {
            DeoptReason.ParameterKind =>
                $"type {expected} expected for parameter '{code.Source.LocalNames[exit.Detail]}', got {frame[exit.Detail].TypeName}",
            DeoptReason.ResultKind =>
                $"type {expected} expected from the call to '{engine.CodeName(exit.Detail)}', got {frame[code.LocalCount + exit.Depth - 1].TypeName}",
            DeoptReason.GlobalKind =>
                $"type {expected} expected for global '{state.Module.Image.Globals[exit.Detail]}', got {TypeOrUnassigned(state.Globals[exit.Detail])}",
            // Which way had never been taken: the jump, or the fall-through past it.
            DeoptReason.BranchNeverTaken => $"branch never taken (the jump to offset {code.Offsets[exit.ResumeAt + code.Code[exit.ResumeAt].Arg]})",
            DeoptReason.BranchAlwaysTaken => $"branch never taken (the fall-through to offset {code.Offsets[exit.ResumeAt + 1]})",
            DeoptReason.IntegerOverflow => "integer overflow",
            DeoptReason.StepReservation => "the step budget is almost spent (the interpreter takes the loop's next steps one by one)",
            DeoptReason.CallDepth => "the call depth limit is reached on entering a loop with inlined calls (the interpreter runs it)",
            DeoptReason.InlinedCall => $"the inlined call to '{engine.CodeName(exit.Detail)}' left its compiled path (the call runs in the interpreter; it will not be inlined again)",
            _ => $"on-stack replacement refused: the frame holds other kinds than the compiled loop expects",
        };
    }

    private static string TypeOrUnassigned(Value value) => value.Kind == ValueKind.Unassigned ? "unassigned" : value.TypeName;

    private static string Count(int n, string one, string? many = null) => $"{n} {(n == 1 ? one : many ?? one + "s")}";

    private void Write(string line)
    {
        lock (writer) writer.WriteLine(line);
    }
}
