using System.Buffers.Binary;
using MiniVm.Bytecode.File;
using MiniVm.Bytecode.Opcodes;

namespace MiniVm.Fuzz.Loader;

/// <summary>
/// Where the interesting fields of a valid <c>.txtc</c> file are: every u32 count, length and
/// code-object integer, each block's code bytes and where its instructions start, and every
/// constant's tag. Found once per seed file by a walk of the format written independently of
/// <see cref="TxtcReader"/>, so the mutator can aim at the fields a hostile file would forge.
/// </summary>
public sealed class TxtcLayout
{
    /// <summary>Offsets of u32 fields: counts, lengths, parameter/local/stack/line numbers, line-table rows.</summary>
    public List<int> U32Fields { get; } = [];

    /// <summary>Offsets of each instruction's opcode byte, in every block.</summary>
    public List<int> Instructions { get; } = [];

    /// <summary>For each entry of <see cref="Instructions"/>, the index in <see cref="CodeBlocks"/> of its block (-1: seed code).</summary>
    public List<int> InstructionBlock { get; } = [];

    /// <summary>(offset, size) of each constant: its tag and payload.</summary>
    public List<(int Start, int Size)> Constants { get; } = [];

    /// <summary>Each block's code: where its length field is, where the code starts, how long it is.</summary>
    public List<(int LengthField, int Start, int Length)> CodeBlocks { get; } = [];

    private readonly byte[] _data;
    private int _at;

    private TxtcLayout(byte[] data) => _data = data;

    /// <summary>The layout of a module-form file; for the seed form, only its code.</summary>
    public static TxtcLayout Of(byte[] file)
    {
        var layout = new TxtcLayout(file) { _at = 4 };
        byte form = layout.Byte();
        if (form == TxtcFormat.TagSeedCode)
        {
            layout.U32Fields.Add(layout._at);
            int length = layout.U32();
            for (int pc = layout._at; pc < layout._at + length;)
            {
                layout.Instructions.Add(pc);
                layout.InstructionBlock.Add(-1);
                pc += OpcodeTable.Lookup(file[pc])?.HasArgument == true ? 2 : 1;
            }
            return layout;
        }
        layout.U32Fields.Add(layout._at);
        layout._at += 4;                                   // format version
        layout.String();                                   // source name
        int globals = layout.TupleHeader();
        for (int i = 0; i < globals; i++) layout.String();
        int functions = layout.TupleHeader();
        for (int i = 0; i <= functions; i++) layout.Code();  // the functions, then the top level
        return layout;
    }

    private void Code()
    {
        _at++;                                             // 'c'
        for (int i = 0; i < 4; i++)
        {
            U32Fields.Add(_at);
            _at += 4;
        }
        String();                                          // name
        int codeLength = BytesHeader();
        CodeBlocks.Add((_at - 4, _at, codeLength));
        for (int pc = _at; pc < _at + codeLength;)
        {
            Instructions.Add(pc);
            InstructionBlock.Add(CodeBlocks.Count - 1);
            pc += OpcodeTable.Lookup(_data[pc])?.Size ?? 1;
        }
        _at += codeLength;
        int constants = TupleHeader();
        for (int i = 0; i < constants; i++)
        {
            int start = _at;
            byte tag = Byte();
            if (tag is TxtcFormat.TagInt or TxtcFormat.TagFloat) _at += 8;
            else if (tag == TxtcFormat.TagString) Skip(U32Field());
            Constants.Add((start, _at - start));
        }
        int names = TupleHeader();
        for (int i = 0; i < names; i++) String();
        int lineBytes = BytesHeader();
        for (int row = _at; row < _at + lineBytes; row += 4) U32Fields.Add(row);
        _at += lineBytes;
    }

    private void String()
    {
        _at++;                                             // 'u'
        Skip(U32Field());
    }

    /// <summary>(Not "_at += U32Field()": that reads _at before the call moves it.)</summary>
    private void Skip(int length) => _at += length;

    private int TupleHeader()
    {
        _at++;                                             // '('
        return U32Field();
    }

    private int BytesHeader()
    {
        _at++;                                             // 's'
        return U32Field();
    }

    private int U32Field()
    {
        U32Fields.Add(_at);
        return U32();
    }

    private int U32()
    {
        int value = (int)BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(_at));
        _at += 4;
        return value;
    }

    private byte Byte() => _data[_at++];
}
