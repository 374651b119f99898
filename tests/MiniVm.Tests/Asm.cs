using System.Globalization;
using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Opcodes;

namespace MiniVm.Tests;

/// <summary>
/// A tiny assembler for hand-made modules in tests: instructions as text (<c>"LOAD_CONST 0"</c>),
/// mnemonics looked up in the one opcode table, arguments written 16-bit little-endian.
/// </summary>
internal static class Asm
{
    public static byte[] Code(params string[] instructions)
    {
        var bytes = new List<byte>();
        foreach (string text in instructions)
        {
            var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var info = OpcodeTable.All.Single(o => o.Name == parts[0]);
            bytes.Add((byte)info.Code);
            if (info.HasArgument)
            {
                int arg = int.Parse(parts[1], CultureInfo.InvariantCulture);
                bytes.Add((byte)arg);
                bytes.Add((byte)(arg >> 8));
            }
        }
        return bytes.ToArray();
    }

    public static CodeObject Block(string name, byte[] code, Constant[] constants, int maxStack, int paramCount = 0, int localCount = 0) =>
        new(name, paramCount, localCount, maxStack, 1, code, constants,
            Enumerable.Range(0, localCount).Select(i => $"v{i}").ToArray(), [new LineEntry(0, 1)]);

    public static ModuleImage Module(CodeObject topLevel, CodeObject[]? functions = null, string[]? globals = null) =>
        new("test.expr", globals ?? [], functions ?? [], topLevel);
}
