using MiniVm.Bytecode.File;
using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Opcodes;

namespace MiniVm.Bytecode.Verification;

/// <summary>
/// Proves, before any code of a module runs or is compiled, what the interpreter and JIT then
/// take for granted: only known opcodes; every argument in range; jumps land on instruction
/// boundaries inside the code; the operand stack has one depth at each instruction whatever
/// the path, never below zero nor above the declared maximum; and execution cannot run off
/// the end. The interpreter's hot loop does not re-check any of it.
/// </summary>
public static class Verifier
{
    /// <summary>Upper bounds that keep a frame's size sane whatever the file claims (defined with
    /// the loader's other limits, <see cref="LoaderLimits"/>).</summary>
    public const int MaxLocals = LoaderLimits.MaxLocals;
    public const int MaxStackDepth = LoaderLimits.MaxStackDepth;

    /// <summary>In the depth table: a byte where no instruction starts / an instruction start not (yet) reached.</summary>
    private const int NotAnInstruction = -2;
    private const int NotReached = -1;

    /// <summary>Verifies every code block, or throws the loader's error naming the block and offset.</summary>
    public static void Verify(ModuleImage module, string fileName)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module.TopLevel.ParamCount != 0)
            throw new MiniVmLoadException(fileName, $"verification failed: the top-level code declares {module.TopLevel.ParamCount} parameters");
        // One depth table and one worklist, sized for the largest block, serve every block: a
        // module of many small functions allocates them once, not once per function.
        int largest = module.TopLevel.Code.Length;
        foreach (var function in module.Functions) largest = Math.Max(largest, function.Code.Length);
        var depthAt = new int[largest];
        int[] work = [];
        Func<int, int> paramCount = f => module.Functions[f].ParamCount;
        foreach (var code in module.AllCode())
        {
            string? error = VerifyCode(module, code, depthAt.AsSpan(0, code.Code.Length), ref work, paramCount, out int offset);
            if (error is not null)
            {
                string where = offset >= 0 ? $" at offset {offset}" : "";
                string block = code == module.TopLevel ? "the top-level code" : $"function '{code.Name}'";
                throw new MiniVmLoadException(fileName, $"verification failed in {block}{where}: {error}");
            }
        }
    }

    /// <param name="depthAt">The depth table, one int per code byte.</param>
    /// <param name="work">The worklist, made larger here when the block has more instructions.</param>
    private static string? VerifyCode(ModuleImage module, CodeObject code, Span<int> depthAt, ref int[] work, Func<int, int> paramCount, out int offset)
    {
        offset = -1;
        if (code.Name.Length == 0) return "the code block has no name";
        if (code.LocalCount > MaxLocals) return $"{code.LocalCount} locals exceed the limit of {MaxLocals}";
        if (code.MaxStack > MaxStackDepth) return $"maximum stack depth {code.MaxStack} exceeds the limit of {MaxStackDepth}";
        if (code.ParamCount > code.LocalCount) return $"{code.ParamCount} parameters but only {code.LocalCount} locals";
        if (code.ParamCount > LoaderLimits.MaxParameters) return $"{code.ParamCount} parameters exceed the limit of {LoaderLimits.MaxParameters}";
        if (code.LocalNames.Length != code.LocalCount) return $"{code.LocalNames.Length} local names for {code.LocalCount} locals";
        if (code.Code.Length == 0) return "the code is empty";
        if (code.FirstLine < 1) return $"first line {code.FirstLine} is not a line number";
        string? lineError = CheckLines(code);
        if (lineError is not null) return lineError;

        // Instructions are decoded where they are needed rather than kept: a table of Instruction
        // structs would cost 24 bytes per code byte, and a hostile file makes code cheap.
        // One int per code byte tells where instructions start and then the depth at each.
        depthAt.Fill(NotAnInstruction);

        // Pass 1: every instruction decodes; its start is marked for the jump checks of pass 2.
        int count = 0;
        for (int pc = 0; pc < code.Code.Length;)
        {
            offset = pc;
            if (!Instruction.TryDecode(code.Code, pc, out var instruction, out string decodeError))
                return decodeError;
            depthAt[pc] = NotReached;
            count++;
            pc = instruction.Next;
        }

        // Pass 2: every argument is in range.
        for (int pc = 0; pc < code.Code.Length;)
        {
            var instruction = Decode(code, pc);
            offset = pc;
            string? argError = CheckArgument(module, code, instruction, depthAt);
            if (argError is not null) return argError;
            pc = instruction.Next;
        }

        // Pass 3: the stack depth at every reachable instruction, by a worklist over the flow graph.
        if (work.Length < count) work = new int[Math.Max(count, Math.Min(2 * work.Length, depthAt.Length))];
        return ComputeDepths(code, depthAt, work, paramCount, out offset);
    }

    /// <summary>
    /// The operand-stack depth before each instruction of verified code, by byte offset (-1 where
    /// no instruction starts or none is reachable). The JIT places every stack value at a fixed
    /// slot from it, so compiled frames have the interpreter's layout.
    /// </summary>
    public static int[] StackDepths(ModuleImage module, CodeObject code)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(code);
        var depthAt = new int[code.Code.Length];
        Array.Fill(depthAt, NotAnInstruction);
        int count = 0;
        for (int pc = 0; pc < code.Code.Length; pc = Decode(code, pc).Next)
        {
            depthAt[pc] = NotReached;
            count++;
        }
        string? error = ComputeDepths(code, depthAt, new int[count], f => module.Functions[f].ParamCount, out int offset);
        if (error is not null) throw new InvalidOperationException($"unverified code in '{code.Name}' at offset {offset}: {error}");
        for (int i = 0; i < depthAt.Length; i++)
            if (depthAt[i] == NotAnInstruction) depthAt[i] = NotReached;
        return depthAt;
    }

    /// <summary>The instruction at <paramref name="pc"/>, known to decode (pass 1 checked it).</summary>
    private static Instruction Decode(CodeObject code, int pc) =>
        Instruction.TryDecode(code.Code, pc, out var instruction, out string error)
            ? instruction
            : throw new InvalidOperationException($"undecodable code in '{code.Name}' at offset {pc}: {error}");

    /// <summary>
    /// Fills <paramref name="depthAt"/> (on entry: <see cref="NotReached"/> at instruction starts,
    /// <see cref="NotAnInstruction"/> elsewhere) with the depth before each reachable instruction.
    /// <paramref name="work"/> holds at least one int per instruction.
    /// </summary>
    private static string? ComputeDepths(CodeObject code, Span<int> depthAt, int[] work, Func<int, int> paramCount, out int offset)
    {
        offset = -1;
        int pending = 0;
        depthAt[0] = 0;
        work[pending++] = 0;
        while (pending > 0)
        {
            var instruction = Decode(code, work[--pending]);
            offset = instruction.Offset;
            int depth = depthAt[offset];
            var info = instruction.Info;
            var (pops, pushes) = OpcodeTable.StackEffect(info, instruction.Arg, paramCount);
            if (depth < pops)
                return $"stack underflow: {info.Name} needs {pops} value(s), the stack holds {depth}";
            int after = depth - pops + pushes;
            if (after > code.MaxStack)
                return $"stack overflow: {info.Name} makes the stack {after} deep, the declared maximum is {code.MaxStack}";

            if (info.Flow is FlowKind.Next or FlowKind.ConditionalJump)
            {
                if (instruction.Next >= code.Code.Length)
                    return "execution runs off the end of the code";
                string? mergeError = Merge(depthAt, work, ref pending, instruction.Next, after);
                if (mergeError is not null) return mergeError;
            }
            if (info.Flow is FlowKind.Jump or FlowKind.ConditionalJump)
            {
                int jumpDepth = info.Flow == FlowKind.Jump ? after : depth - info.PopsOnJump;
                string? mergeError = Merge(depthAt, work, ref pending, instruction.JumpTarget, jumpDepth);
                if (mergeError is not null) return mergeError;
            }
        }
        offset = -1;
        return null;
    }

    /// <summary>Records the depth on arrival at <paramref name="target"/>; the first arrival queues it
    /// (each instruction is queued at most once, so <paramref name="work"/> never overflows).</summary>
    private static string? Merge(Span<int> depthAt, int[] work, ref int pending, int target, int depth)
    {
        if (depthAt[target] == NotReached)
        {
            depthAt[target] = depth;
            work[pending++] = target;
            return null;
        }
        return depthAt[target] == depth
            ? null
            : $"stack depth at offset {target} is {depthAt[target]} on one path and {depth} on another";
    }

    /// <summary><paramref name="depthAt"/> marks instruction starts (pass 1), for jump targets.</summary>
    private static string? CheckArgument(ModuleImage module, CodeObject code, Instruction instruction, Span<int> depthAt)
    {
        int arg = instruction.Arg;
        string name = instruction.Info.Name;
        switch (instruction.Info.Arg)
        {
            case ArgKind.None:
            case ArgKind.Extended:
                return null;
            case ArgKind.Const:
                return arg < code.Constants.Length ? null : $"{name} {arg}: there are {code.Constants.Length} constants";
            case ArgKind.Local:
                return arg < code.LocalCount ? null : $"{name} {arg}: there are {code.LocalCount} locals";
            case ArgKind.Global:
                return arg < module.Globals.Length ? null : $"{name} {arg}: there are {module.Globals.Length} globals";
            case ArgKind.Function:
                return arg < module.Functions.Length ? null : $"{name} {arg}: there are {module.Functions.Length} functions";
            case ArgKind.Builtin:
            {
                var (id, argc) = BuiltinInfo.DecodeCall(arg);
                var builtin = BuiltinInfo.ById(id);
                if (builtin is null) return $"{name}: unknown builtin {id}";
                return builtin.Accepts(argc) ? null : $"{name}: {builtin.Name}() cannot take {argc} argument(s)";
            }
            case ArgKind.Compare:
                return arg <= (int)CompareKind.GreaterEqual ? null : $"{name}: unknown comparison {arg}";
            case ArgKind.BoolOperator:
                return arg <= (int)BoolOperator.Or ? null : $"{name}: unknown operator {arg}";
            case ArgKind.JumpAbsolute:
            case ArgKind.JumpRelative:
            {
                long target = instruction.Info.Arg == ArgKind.JumpRelative ? (long)instruction.Next + arg : arg;
                if (target >= code.Code.Length) return $"{name} jumps to {target}, outside the code ({code.Code.Length} bytes)";
                return depthAt[(int)target] != NotAnInstruction ? null : $"{name} jumps to {target}, which is not the start of an instruction";
            }
            default:
                return $"{name} has an unknown argument kind";
        }
    }

    private static string? CheckLines(CodeObject code)
    {
        if (code.Lines.Length == 0) return "the line table is empty";
        if (code.Lines[0].Offset != 0) return "the line table does not start at offset 0";
        for (int i = 0; i < code.Lines.Length; i++)
        {
            var row = code.Lines[i];
            if (row.Offset >= code.Code.Length) return $"line table row {i} starts at {row.Offset}, past the end of the code";
            if (row.Line < 1) return $"line table row {i} has line {row.Line}";
            if (i > 0 && row.Offset <= code.Lines[i - 1].Offset) return $"line table row {i} is out of order";
        }
        return null;
    }
}
