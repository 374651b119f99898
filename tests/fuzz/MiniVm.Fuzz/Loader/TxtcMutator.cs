using System.Buffers.Binary;
using MiniVm.Bytecode.File;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Fuzz.Engine;

namespace MiniVm.Fuzz.Loader;

/// <summary>
/// Makes a hostile file from valid ones. Half the inputs first get one aimed mutation, found
/// from the seed file's <see cref="TxtcLayout"/>: a count or length forged to a huge or
/// off-by-one value, an opcode or argument replaced, an instruction inserted, a constant
/// replaced. Then blind mutations (one or more; after an aimed one, sometimes one): bit flips,
/// random or special bytes, truncation, insertion, deletion, duplication, and splices with
/// another file. The generator name says which came first.
/// </summary>
public sealed class TxtcMutator(LoaderCorpus corpus)
{
    /// <summary>Values a forged u32 field takes: the boundaries of int, uint and 16 bits, and small ones.</summary>
    private static readonly uint[] InterestingU32 =
        [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFE, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF];

    /// <summary>Bytes that mean something to the reader or the verifier: tags, opcodes, boundaries.</summary>
    private static readonly byte[] InterestingBytes = BuildInterestingBytes();

    private static readonly byte[] Opcodes = OpcodeTable.All.Select(o => (byte)o.Code).ToArray();

    /// <summary>Inputs never grow past this: twice the largest seed file plus a little.</summary>
    private readonly int _maxLength = corpus.MaxFileLength * 2 + 1024;

    public FuzzInput Mutate(FuzzRandom random)
    {
        int pick = random.Next(corpus.Files.Count);
        var bytes = new List<byte>(corpus.Files[pick]);
        string generator = "blind";
        if (random.Chance(50))
            generator = Aimed(random, bytes, corpus.Layouts[pick]);
        int blind = generator == "blind" ? random.SmallCount(8) : random.Chance(25) ? 1 : 0;
        for (int i = 0; i < blind; i++) Blind(random, bytes);
        return new FuzzInput(bytes.ToArray(), generator);
    }

    private static string Aimed(FuzzRandom random, List<byte> bytes, TxtcLayout layout)
    {
        switch (random.Next(6))
        {
            case 0 or 1 when layout.U32Fields.Count > 0:
            {
                int at = random.Pick(layout.U32Fields);
                uint value = random.Chance(70)
                    ? random.Pick(InterestingU32)
                    : (uint)(BinaryPrimitives.ReadInt32LittleEndian(Span(bytes, at, 4)) + random.Next(-3, 4));
                WriteU32(bytes, at, value);
                return "field";
            }
            case 2 when layout.Instructions.Count > 0:
            {
                bytes[random.Pick(layout.Instructions)] = random.Chance(80) ? random.Pick(Opcodes) : (byte)random.Next(256);
                return "opcode";
            }
            case 3 when layout.Instructions.Count > 0:
            {
                // An instruction's 16-bit argument: a boundary, or a small change (a jump one byte off).
                int at = random.Pick(layout.Instructions);
                if (at + 2 >= bytes.Count || OpcodeTable.Lookup(bytes[at])?.HasArgument != true) return "blind";
                ushort old = BinaryPrimitives.ReadUInt16LittleEndian(Span(bytes, at + 1, 2));
                ushort value = random.Chance(50) ? (ushort)random.Pick(InterestingU32) : (ushort)(old + random.Next(-3, 4));
                bytes[at + 1] = (byte)value;
                bytes[at + 2] = (byte)(value >> 8);
                return "argument";
            }
            case 4 when layout.Instructions.Count > 0:
            {
                // An instruction inserted at an instruction boundary (EXTENDED_ARG often: it has
                // rules of its own), the block's length field grown to match, so the rest of the
                // file still reads and the verifier sees the new code.
                int which = random.Next(layout.Instructions.Count);
                int at = layout.Instructions[which];
                byte op = random.Chance(30) ? (byte)OpCode.ExtendedArg : random.Pick(Opcodes);
                byte[] instruction = op >= OpcodeTable.HaveArgument ? [op, (byte)random.Next(4), 0] : [op];
                int block = layout.InstructionBlock[which];
                if (block >= 0)
                {
                    var (lengthField, _, length) = layout.CodeBlocks[block];
                    WriteU32(bytes, lengthField, (uint)(length + instruction.Length));
                }
                bytes.InsertRange(at, instruction);
                return "instruction";
            }
            case 5 when layout.Constants.Count > 0:
            {
                // A constant replaced by another, well formed or not: a different kind, a string
                // with a forged length or bytes that are not UTF-8, or only its tag changed.
                var (start, size) = random.Pick(layout.Constants);
                if (random.Chance(25))
                {
                    bytes[start] = random.Pick(InterestingBytes);
                    return "constant tag";
                }
                bytes.RemoveRange(start, size);
                bytes.InsertRange(start, RandomConstant(random));
                return "constant";
            }
            default:
                return "blind";
        }
    }

    private void Blind(FuzzRandom random, List<byte> bytes)
    {
        if (bytes.Count == 0)
        {
            bytes.Add((byte)random.Next(256));
            return;
        }
        int at = random.Next(bytes.Count);
        switch (random.Next(10))
        {
            case 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                bytes[at] = (byte)random.Next(256);
                break;
            case 2:
                bytes[at] = random.Pick(InterestingBytes);
                break;
            case 3 when at + 4 <= bytes.Count:
                WriteU32(bytes, at, random.Pick(InterestingU32));
                break;
            case 4:
                bytes.RemoveRange(at, bytes.Count - at);                         // truncate
                break;
            case 5:
                bytes.RemoveRange(at, Math.Min(random.SmallCount(64), bytes.Count - at));
                break;
            case 6 when bytes.Count < _maxLength:
                for (int n = random.SmallCount(16); n > 0; n--) bytes.Insert(at, (byte)random.Next(256));
                break;
            case 7 when bytes.Count < _maxLength:
            {
                int length = Math.Min(random.SmallCount(64), bytes.Count - at);
                bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, length));  // duplicate a range
                break;
            }
            case 8:
            {
                // Splice: this file up to a point, then another file from a point.
                var other = random.Pick(corpus.Files);
                int from = random.Next(other.Length);
                bytes.RemoveRange(at, bytes.Count - at);
                bytes.AddRange(other.AsSpan(from, Math.Min(other.Length - from, _maxLength - bytes.Count)).ToArray());
                break;
            }
            case 9 when bytes.Count < _maxLength:
            {
                // A range of another file inserted (a string, a code object, a tuple from elsewhere).
                var other = random.Pick(corpus.Files);
                int from = random.Next(other.Length);
                int length = Math.Min(random.SmallCount(256), other.Length - from);
                bytes.InsertRange(at, other.AsSpan(from, length).ToArray());
                break;
            }
        }
    }

    private static byte[] RandomConstant(FuzzRandom random)
    {
        switch (random.Next(6))
        {
            case 0: return [random.Pick([TxtcFormat.TagNone, TxtcFormat.TagTrue, TxtcFormat.TagFalse])];
            case 1:
            case 2:
            {
                var constant = new byte[9];
                constant[0] = random.Chance(50) ? TxtcFormat.TagInt : TxtcFormat.TagFloat;
                BinaryPrimitives.WriteUInt64LittleEndian(constant.AsSpan(1), random.Chance(50) ? random.NextU64() : random.Pick(InterestingU32));
                return constant;
            }
            default:
            {
                // A string: valid UTF-8 or not, its length field true, huge, or one off.
                int length = random.SmallCount(32) - 1;
                var constant = new byte[5 + length];
                constant[0] = TxtcFormat.TagString;
                for (int i = 0; i < length; i++) constant[5 + i] = random.Chance(80) ? (byte)random.Next(0x20, 0x7F) : (byte)random.Next(0x80, 0x100);
                uint field = random.Chance(70) ? (uint)length : random.Chance(50) ? random.Pick(InterestingU32) : (uint)(length + random.Next(-2, 3));
                BinaryPrimitives.WriteUInt32LittleEndian(constant.AsSpan(1), field);
                return constant;
            }
        }
    }

    private static Span<byte> Span(List<byte> bytes, int at, int length) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).Slice(at, length);

    private static void WriteU32(List<byte> bytes, int at, uint value)
    {
        if (at + 4 > bytes.Count) return;
        BinaryPrimitives.WriteUInt32LittleEndian(Span(bytes, at, 4), value);
    }

    private static byte[] BuildInterestingBytes()
    {
        byte[] tags = [TxtcFormat.TagSeedCode, TxtcFormat.TagModule, TxtcFormat.TagCode, TxtcFormat.TagBytes, TxtcFormat.TagTuple,
            TxtcFormat.TagString, TxtcFormat.TagInt, TxtcFormat.TagFloat, TxtcFormat.TagTrue, TxtcFormat.TagFalse, TxtcFormat.TagNone];
        byte[] boundaries = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, OpcodeTable.HaveArgument, OpcodeTable.HaveArgument - 1, 0xC0, 0xED, 0xF4];
        return [.. tags, .. boundaries, .. OpcodeTable.All.Select(o => (byte)o.Code)];
    }
}
