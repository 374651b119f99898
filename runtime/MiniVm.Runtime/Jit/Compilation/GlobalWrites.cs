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
        var callees = new List<int>[blocks.Length];
        for (int f = 0; f < blocks.Length; f++)
        {
            callees[f] = [];
            foreach (var instruction in Instruction.DecodeAll(blocks[f].Source.Code))
            {
                if (instruction.Info.Code == OpCode.StoreGlobal) writes[f] = true;
                else if (instruction.Info.Code == OpCode.CallFunction) callees[f].Add(instruction.Arg);
            }
        }
        // A caller of a block that writes writes too: until nothing changes (each pass settles at
        // least one more block, so this ends).
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int f = 0; f < blocks.Length; f++)
            {
                if (writes[f]) continue;
                foreach (int callee in callees[f])
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
