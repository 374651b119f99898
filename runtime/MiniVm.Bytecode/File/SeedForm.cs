using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Opcodes;

namespace MiniVm.Bytecode.File;

/// <summary>
/// The seed lesson's file form: <c>'s'</c>, a u32 length and one block of top-level code whose
/// instructions take a one-byte argument, LOAD_CONST's being the constant itself; when the code
/// ends, the value on top of the stack is printed. It is translated into an ordinary module
/// (constants pooled, arguments widened, "print the top and return" appended), which then goes
/// through the same verifier as everything else. This form must keep loading forever.
/// </summary>
public static class SeedForm
{
    /// <summary>Opcodes a seed block may hold: the ones that need no tables beyond constants.</summary>
    private static bool IsAllowed(OpCode op) => op is OpCode.LoadConst or OpCode.PopTop or OpCode.RotTwo or OpCode.DupTop
        or OpCode.UnaryNegative or OpCode.BinaryAdd or OpCode.BinarySubtract or OpCode.BinaryMultiply
        or OpCode.BinaryDivide or OpCode.BinaryModulo;

    public static ModuleImage Translate(byte[] seedCode, string sourceName, Func<string, MiniVmLoadException> fail)
    {
        var code = new List<byte>(seedCode.Length * 2 + 8);
        var constants = new List<Constant>();
        int depth = 0, maxDepth = 0;
        int pc = 0;
        while (pc < seedCode.Length)
        {
            int at = pc;
            byte opByte = seedCode[pc++];
            var info = OpcodeTable.Lookup(opByte);
            if (info is null || !IsAllowed(info.Code))
                throw fail(info is null
                    ? $"seed code: unknown opcode {opByte} at offset {at}"
                    : $"seed code: {info.Name} ({opByte}) at offset {at} is not allowed in the seed form");
            int arg = 0;
            if (info.HasArgument)
            {
                if (pc >= seedCode.Length)
                    throw fail($"seed code: {info.Name} at offset {at} is missing its argument byte");
                arg = seedCode[pc++];
            }
            if (depth < info.Pops)
                throw fail($"seed code: {info.Name} at offset {at} pops an empty stack");
            depth += info.Pushes - info.Pops;
            maxDepth = Math.Max(maxDepth, depth);
            if (info.Code == OpCode.LoadConst)
            {
                var constant = Constant.FromInt(arg);
                int index = constants.IndexOf(constant);
                if (index < 0)
                {
                    index = constants.Count;
                    constants.Add(constant);
                }
                Emit(code, OpCode.LoadConst, index);
            }
            else
            {
                code.Add(opByte);
            }
        }
        if (depth == 0)
            throw fail("seed code leaves no value on the stack to print");

        Emit(code, OpCode.PrintExpr, 0);
        int noneIndex = constants.Count;
        constants.Add(Constant.None);
        Emit(code, OpCode.LoadConst, noneIndex);
        Emit(code, OpCode.ReturnValue, 0);
        maxDepth = Math.Max(maxDepth, depth + 1);

        var topLevel = new CodeObject("<module>", 0, 0, maxDepth, 1, code.ToArray(), constants.ToArray(), [], [new LineEntry(0, 1)]);
        return new ModuleImage(sourceName, [], [], topLevel, isSeedForm: true);
    }

    private static void Emit(List<byte> code, OpCode op, int arg)
    {
        code.Add((byte)op);
        if ((byte)op >= OpcodeTable.HaveArgument)
        {
            code.Add((byte)arg);
            code.Add((byte)(arg >> 8));
        }
    }
}
