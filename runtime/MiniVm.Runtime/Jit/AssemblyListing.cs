using System.Text;
using Decoder = Iced.Intel.Decoder;
using Iced.Intel;
using MiniVm.Bytecode.Disassembly;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;
using BytecodeInstruction = MiniVm.Bytecode.Opcodes.Instruction;

namespace MiniVm.Jit;

/// <summary>
/// <c>--dump-asm</c>: a compiled code block's machine code as Iced formats it, each bytecode
/// instruction written above the code it became (offset, name, argument and source line), and
/// the on-stack-replacement entries marked.
/// </summary>
internal static class AssemblyListing
{
    public static void Write(TextWriter output, PreparedModule module, CompiledFunction compiled)
    {
        var code = compiled.Code;
        var source = code.Source;
        var text = new StringBuilder();
        string title = code == module.TopLevel ? "<top level>" : code.Name;
        text.Append($"; {title} ({module.Image.SourceName}): {compiled.Block.Code.Length} bytes at 0x{compiled.Start:x}\n");

        var bytecode = BytecodeInstruction.DecodeAll(source.Code);
        var startsAt = new Dictionary<int, List<int>>();
        for (int i = 0; i < bytecode.Length; i++)
        {
            int start = compiled.Block.InstructionStarts[i];
            if (start < 0) continue;
            if (!startsAt.TryGetValue(start, out var list)) startsAt[start] = list = [];
            list.Add(i);
        }
        var osrAt = new Dictionary<ulong, int>();
        for (int i = 0; i < bytecode.Length; i++)
            if (compiled.OsrEntries[i] != 0) osrAt[(ulong)compiled.OsrEntries[i]] = i;

        var decoder = Decoder.Create(64, new ByteArrayCodeReader(compiled.Block.Code), (ulong)compiled.Start);
        var formatter = new IntelFormatter();
        formatter.Options.FirstOperandCharIndex = 8;
        var formatted = new StringOutput();
        while (decoder.IP < (ulong)compiled.Start + (ulong)compiled.Block.Code.Length)
        {
            decoder.Decode(out var instruction);
            int offset = (int)(instruction.IP - (ulong)compiled.Start);
            if (instruction.IP == (ulong)compiled.Entry) text.Append("                ; external entry (called from managed code)\n");
            foreach (int index in startsAt.GetValueOrDefault(offset) ?? [])
            {
                var b = bytecode[index];
                string explained = Disassembler.Explain(module.Image, source, b) is { } e ? $" ({e})" : "";
                string argument = b.Info.HasArgument ? $" {b.Arg}" : "";
                text.Append($"                ; {b.Offset,4} {b.Info.Name}{argument}{explained}   line {source.LineAt(b.Offset)}\n");
            }
            if (osrAt.TryGetValue(instruction.IP, out int header))
                text.Append($"                ; on-stack-replacement entry for the loop at offset {bytecode[header].Offset}\n");
            formatter.Format(instruction, formatted);
            text.Append($"  {offset:x6}      {formatted.ToStringAndReset()}\n");
        }
        text.Append('\n');
        output.Write(text.ToString());
        output.Flush();
    }
}
