using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;
using MiniVm.Values;

namespace MiniVm.Jit.Compilation;

/// <summary>Which callees are inlined: small leaves whose body nothing outside can observe, so
/// that leaving it half-way is re-running the call (see FunctionCompiler.Inlining.cs).</summary>
internal static class Inlining
{
    /// <summary>Bodies up to this many instructions are inlined (seed 004's <c>dist</c> has 17).</summary>
    public const int MaxInstructions = 40;

    public static bool IsCandidate(FunctionCode callee)
    {
        // Strings always go through a helper, which an inline body cannot call: it would leave
        // its fast path every time (and the caller recompile once to call instead).
        foreach (var constant in callee.Constants)
            if (constant.Kind == ValueKind.String) return false;
        var code = Instruction.DecodeAll(callee.Source.Code);
        if (code.Length > MaxInstructions) return false;
        foreach (var instruction in code)
        {
            switch (instruction.Info.Code)
            {
                case OpCode.CallFunction: // not a leaf
                case OpCode.StoreGlobal:  // seen outside
                case OpCode.PrintExpr:
                    return false;
                case OpCode.CallBuiltin:
                    // sqrt is computed inline; every other builtin would leave the body every time (print is seen outside)
                    var (id, argc) = BuiltinInfo.DecodeCall(instruction.Arg);
                    if ((BuiltinId)id != BuiltinId.Sqrt || argc != 1) return false;
                    break;
                case OpCode.StoreFast when instruction.Arg < callee.ParamCount: // the re-run needs the arguments
                    return false;
            }
            var flow = instruction.Info.Flow;
            if (flow is FlowKind.Jump or FlowKind.ConditionalJump && instruction.JumpTarget <= instruction.Offset)
                return false; // a loop: its back-edges take steps, and it may run long
        }
        return true;
    }
}
