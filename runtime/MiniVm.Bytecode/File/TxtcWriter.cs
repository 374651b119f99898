using System.Buffers.Binary;
using System.Text;
using MiniVm.Bytecode.Model;

namespace MiniVm.Bytecode.File;

/// <summary>
/// Writes a <see cref="ModuleImage"/> in the module form. Each method has its mirror in
/// <see cref="TxtcReader"/>; the output depends on nothing but the image (no timestamps,
/// no paths beyond the stored source name), so the same source gives the same bytes anywhere.
/// </summary>
public sealed class TxtcWriter
{
    private readonly MemoryStream _out = new();

    /// <summary>The whole file for <paramref name="module"/>.</summary>
    public static byte[] Write(ModuleImage module)
    {
        var writer = new TxtcWriter();
        writer.WriteU32(TxtcFormat.Magic);
        writer.WriteModule(module);
        return writer._out.ToArray();
    }

    private void WriteModule(ModuleImage module)
    {
        WriteByte(TxtcFormat.TagModule);
        WriteU32(TxtcFormat.FormatVersion);
        WriteString(module.SourceName);
        WriteTupleHeader(module.Globals.Length);
        foreach (var name in module.Globals) WriteString(name);
        WriteTupleHeader(module.Functions.Length);
        foreach (var function in module.Functions) WriteCode(function);
        WriteCode(module.TopLevel);
    }

    private void WriteCode(CodeObject code)
    {
        WriteByte(TxtcFormat.TagCode);
        WriteU32((uint)code.ParamCount);
        WriteU32((uint)code.LocalCount);
        WriteU32((uint)code.MaxStack);
        WriteU32((uint)code.FirstLine);
        WriteString(code.Name);
        WriteBytes(code.Code);
        WriteTupleHeader(code.Constants.Length);
        foreach (var constant in code.Constants) WriteConstant(constant);
        WriteTupleHeader(code.LocalNames.Length);
        foreach (var name in code.LocalNames) WriteString(name);
        WriteBytes(EncodeLines(code.Lines));
    }

    private void WriteConstant(Constant constant)
    {
        switch (constant.Kind)
        {
            case ConstantKind.None: WriteByte(TxtcFormat.TagNone); break;
            case ConstantKind.Bool: WriteByte(constant.AsBool ? TxtcFormat.TagTrue : TxtcFormat.TagFalse); break;
            case ConstantKind.Int: WriteByte(TxtcFormat.TagInt); WriteI64(constant.AsInt); break;
            case ConstantKind.Float: WriteByte(TxtcFormat.TagFloat); WriteI64(constant.RawBits); break;
            case ConstantKind.String: WriteString(constant.AsString); break;
            default: throw new ArgumentOutOfRangeException(nameof(constant));
        }
    }

    private static byte[] EncodeLines(LineEntry[] lines)
    {
        var bytes = new byte[lines.Length * TxtcFormat.LineEntrySize];
        for (int i = 0; i < lines.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 8), (uint)lines[i].Offset);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 8 + 4), (uint)lines[i].Line);
        }
        return bytes;
    }

    private void WriteTupleHeader(int count)
    {
        WriteByte(TxtcFormat.TagTuple);
        WriteU32((uint)count);
    }

    private void WriteString(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        WriteByte(TxtcFormat.TagString);
        WriteU32((uint)utf8.Length);
        _out.Write(utf8);
    }

    private void WriteBytes(byte[] bytes)
    {
        WriteByte(TxtcFormat.TagBytes);
        WriteU32((uint)bytes.Length);
        _out.Write(bytes);
    }

    private void WriteByte(byte value) => _out.WriteByte(value);

    private void WriteU32(uint value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, value);
        _out.Write(buffer);
    }

    private void WriteI64(long value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
        _out.Write(buffer);
    }
}
