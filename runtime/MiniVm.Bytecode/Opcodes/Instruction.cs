using System.Buffers.Binary;

namespace MiniVm.Bytecode.Opcodes;

/// <summary>
/// One decoded instruction. An EXTENDED_ARG prefix is folded into the instruction it extends:
/// <see cref="Offset"/> is the prefix's offset and <see cref="Size"/> covers both.
/// </summary>
public readonly record struct Instruction(int Offset, OpInfo Info, int Arg, int Size)
{
    public int Next => Offset + Size;

    /// <summary>The jump target of a jump instruction.</summary>
    public int JumpTarget => Info.Arg == ArgKind.JumpRelative ? Next + Arg : Arg;

    /// <summary>
    /// Decodes the instruction at <paramref name="offset"/>, or says why it cannot be decoded
    /// (unknown opcode, missing argument bytes, a stray EXTENDED_ARG).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> code, int offset, out Instruction instruction, out string error)
    {
        instruction = default;
        int start = offset;
        int extended = 0;
        bool hasPrefix = false;
        while (true)
        {
            if (offset >= code.Length)
            {
                error = hasPrefix ? "EXTENDED_ARG at the end of the code" : "offset past the end of the code";
                return false;
            }
            byte opByte = code[offset];
            var info = OpcodeTable.Lookup(opByte);
            if (info is null)
            {
                error = $"unknown opcode {opByte}";
                return false;
            }
            int arg = 0;
            if (info.HasArgument)
            {
                if (offset + 3 > code.Length)
                {
                    error = $"{info.Name} is missing its argument (the code ends)";
                    return false;
                }
                arg = BinaryPrimitives.ReadUInt16LittleEndian(code.Slice(offset + 1, 2));
            }
            if (info.Code == OpCode.ExtendedArg)
            {
                if (hasPrefix)
                {
                    error = "EXTENDED_ARG follows EXTENDED_ARG";
                    return false;
                }
                hasPrefix = true;
                extended = arg;
                offset += 3;
                continue;
            }
            if (hasPrefix && !info.HasArgument)
            {
                error = $"EXTENDED_ARG precedes {info.Name}, which takes no argument";
                return false;
            }
            // The combined argument is at most 32 bits; anything at or above 2^31 is out of every range.
            long full = ((long)extended << 16) | (uint)arg;
            if (full > int.MaxValue)
            {
                error = $"{info.Name} argument {full} is out of range";
                return false;
            }
            instruction = new Instruction(start, info, (int)full, offset + info.Size - start);
            error = "";
            return true;
        }
    }

    /// <summary>Decodes a whole block that is known to be well formed (verified code), in order.</summary>
    /// <remarks>Arrays rather than lists: generic collections over this assembly's structs cannot be
    /// precompiled by ReadyToRun and would be JIT-compiled at every start of the tool.</remarks>
    public static Instruction[] DecodeAll(byte[] code)
    {
        var buffer = new Instruction[code.Length];
        int count = 0, offset = 0;
        while (offset < code.Length)
        {
            if (!TryDecode(code, offset, out var instruction, out string error))
                throw new InvalidOperationException($"offset {offset}: {error}");
            buffer[count++] = instruction;
            offset = instruction.Next;
        }
        var result = new Instruction[count];
        Array.Copy(buffer, result, count);
        return result;
    }
}
