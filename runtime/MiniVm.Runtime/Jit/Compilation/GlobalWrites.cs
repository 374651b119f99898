using System.Runtime.CompilerServices;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// Which code blocks of a module may store a global, directly or through the functions they
/// call: the kind analysis keeps what it knows of the globals across a call that cannot (a
/// recursive <c>fib</c>, seed 004's <c>dist</c>), instead of forgetting it at every call.
/// Computed once per module, when the first compile asks.
/// </summary>
internal static class GlobalWrites
{
    private static readonly ConditionalWeakTable<PreparedModule, bool[]> Cache = [];

    /// <summary>By code block index: whether running it may store a global.</summary>
    public static bool[] Of(PreparedModule module) => Cache.GetValue(module, Compute);

    private static bool[] Compute(PreparedModule module)
    {
        var blocks = module.AllCode;
        var writes = new bool[blocks.Length];
        // One pass over each block's bytes, with no decoded copy (a module may have thousands of
        // functions, most never compiled), and a list only for blocks that call.
        var callees = new List<int>?[blocks.Length];
        for (int f = 0; f < blocks.Length; f++)
        {
            byte[] code = blocks[f].Source.Code;
            for (int offset = 0; offset < code.Length;)
            {
                if (!Instruction.TryDecode(code, offset, out var instruction, out string error))
                    throw new InvalidOperationException($"offset {offset}: {error}"); // verified code decodes
                if (instruction.Info.Code == OpCode.StoreGlobal) writes[f] = true;
                else if (instruction.Info.Code == OpCode.CallFunction) (callees[f] ??= []).Add(instruction.Arg);
                offset = instruction.Next;
            }
        }
        // A caller of a block that writes writes too: until nothing changes (each pass settles at
        // least one more block, so this ends).
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int f = 0; f < blocks.Length; f++)
            {
                if (writes[f] || callees[f] is not { } calls) continue;
                foreach (int callee in calls)
                {
                    if (!writes[callee]) continue;
                    writes[f] = changed = true;
                    break;
                }
            }
        }
        return writes;
    }
}
