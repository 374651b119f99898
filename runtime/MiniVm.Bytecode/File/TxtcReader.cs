using System.Buffers.Binary;
using System.Text;
using MiniVm.Bytecode.Model;

namespace MiniVm.Bytecode.File;

/// <summary>
/// Reads a <c>.txtc</c> file into a <see cref="ModuleImage"/>: the mirror of
/// <see cref="TxtcWriter"/>, plus the seed form. Every byte is taken through
/// <see cref="Take"/>, the one primitive that reports truncation, and every count is checked
/// against the bytes that remain and against its cap (<see cref="LoaderLimits"/>) before
/// anything is allocated, so no input can make the reader allocate more than a small multiple
/// of the file's own size. Every failure is a <see cref="MiniVmLoadException"/>.
/// The result is not yet verified: <see cref="Verification.Verifier"/> runs next.
/// </summary>
public sealed class TxtcReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _data;
    private readonly string _fileName;
    private readonly LoaderLimits _limits;
    private int _position;

    /// <summary>Short strings already decoded, by a hash of their bytes: names repeat (every
    /// function has its <c>a</c>, <c>i</c>, <c>x</c>), and one string serves them all.</summary>
    private readonly string?[] _recentStrings = new string?[RecentStringSlots];
    private const int RecentStringSlots = 256;
    private const int RecentStringMaxLength = 32;

    private TxtcReader(byte[] data, string fileName, LoaderLimits limits)
    {
        _data = data;
        _fileName = fileName;
        _limits = limits;
    }

    /// <summary>Reads a whole file's bytes. <paramref name="fileName"/> names it in errors;
    /// <paramref name="limits"/> are the caps to enforce (<see cref="LoaderLimits.Default"/> if null).</summary>
    public static ModuleImage Read(byte[] data, string fileName, LoaderLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new TxtcReader(data, fileName, limits ?? LoaderLimits.Default).ReadFile();
    }

    private ModuleImage ReadFile()
    {
        if (_data.Length > _limits.MaxFileSize)
            throw Fail($"file is larger than the limit of {_limits.MaxFileSize} bytes ({_data.Length} bytes)");
        if (_data.Length < 4)
            throw Fail($"not a MiniVm bytecode file (only {_data.Length} byte{(_data.Length == 1 ? "" : "s")}, expected the magic number 0x{TxtcFormat.Magic:X8})");
        uint magic = ReadU32();
        if (magic != TxtcFormat.Magic)
            throw Fail($"not a MiniVm bytecode file (bad magic number 0x{magic:X8}, expected 0x{TxtcFormat.Magic:X8})");

        byte tag = ReadByte("the form tag");
        ModuleImage module = tag switch
        {
            TxtcFormat.TagSeedCode => SeedForm.Translate(ReadByteStringPayload("seed code", _limits.MaxCodeSize), SeedSourceName(), Fail),
            TxtcFormat.TagModule => ReadModule(),
            _ => throw Fail($"unknown form tag 0x{tag:X2} at offset {_position - 1} (expected 's' for seed code or 'M' for a module)"),
        };
        if (_position != _data.Length)
            throw Fail($"{_data.Length - _position} unexpected byte(s) after the end of the module at offset {_position}");
        return module;
    }

    private string SeedSourceName() => Path.GetFileName(_fileName);

    private ModuleImage ReadModule()
    {
        uint version = ReadU32();
        if (version != TxtcFormat.FormatVersion)
            throw Fail($"unsupported format version {version} (this MiniVm reads version {TxtcFormat.FormatVersion})");
        string sourceName = ReadString("the source name");
        int globalCount = ReadTupleHeader("the number of globals", minItemSize: 5, _limits.MaxGlobals);
        var globals = new string[globalCount];
        for (int i = 0; i < globalCount; i++) globals[i] = ReadString("a global's name");
        int functionCount = ReadTupleHeader("the number of functions", minItemSize: MinCodeObjectSize, _limits.MaxFunctions);
        var functions = new CodeObject[functionCount];
        for (int i = 0; i < functionCount; i++) functions[i] = ReadCode();
        var topLevel = ReadCode();
        return new ModuleImage(sourceName, globals, functions, topLevel);
    }

    /// <summary>Tag, four u32 counts, and five empty tagged fields.</summary>
    private const int MinCodeObjectSize = 1 + 16 + 5 * 5;

    private CodeObject ReadCode()
    {
        ExpectTag(TxtcFormat.TagCode, "a code object");
        int paramCount = ReadInt32("the parameter count");
        int localCount = ReadInt32("the local count");
        int maxStack = ReadInt32("the maximum stack depth");
        int firstLine = ReadInt32("the first line");
        string name = ReadString("a code object's name");
        byte[] code = ReadByteString("code", _limits.MaxCodeSize);
        int constantCount = ReadTupleHeader("the number of constants", minItemSize: 1, _limits.MaxConstants);
        var constants = constantCount == 0 ? [] : new Constant[constantCount];
        for (int i = 0; i < constantCount; i++) constants[i] = ReadConstant();
        int localNameCount = ReadTupleHeader("the number of local names", minItemSize: 5, LoaderLimits.MaxLocals);
        var localNames = localNameCount == 0 ? [] : new string[localNameCount];
        for (int i = 0; i < localNameCount; i++) localNames[i] = ReadString("a local's name");
        var lines = ReadLines(code.Length);
        return new CodeObject(name, paramCount, localCount, maxStack, firstLine, code, constants, localNames, lines);
    }

    private Constant ReadConstant()
    {
        int at = _position;
        byte tag = ReadByte("a constant");
        return tag switch
        {
            TxtcFormat.TagNone => Constant.None,
            TxtcFormat.TagTrue => Constant.FromBool(true),
            TxtcFormat.TagFalse => Constant.FromBool(false),
            TxtcFormat.TagInt => Constant.FromInt(ReadI64()),
            TxtcFormat.TagFloat => Constant.FromFloat(BitConverter.Int64BitsToDouble(ReadI64())),
            TxtcFormat.TagString => Constant.FromString(ReadStringPayload("a string constant")),
            _ => throw Fail($"unknown constant tag 0x{tag:X2} at offset {at}"),
        };
    }

    /// <summary>The line table: rows of (u32 offset, u32 line). Each row starts at its own offset
    /// inside the code, so a valid table has no more rows than the code has bytes; checking that
    /// first keeps the table's size tied to the code's. (Empty code may come with one row: the
    /// verifier then names the real problem, the empty code.)</summary>
    private LineEntry[] ReadLines(int codeLength)
    {
        ExpectTag(TxtcFormat.TagBytes, "line table");
        int at = _position;
        int length = ReadCount("the length of the line table", 1);
        if (length % TxtcFormat.LineEntrySize != 0)
            throw Fail($"line table of {length} bytes is not a whole number of {TxtcFormat.LineEntrySize}-byte rows");
        int rows = length / TxtcFormat.LineEntrySize;
        if (rows > Math.Max(codeLength, 1))
            throw Fail($"line table at offset {at} has {rows} row(s) for {codeLength} byte(s) of code");
        var bytes = Take(length, "line table");
        var lines = new LineEntry[rows];
        for (int i = 0; i < lines.Length; i++)
        {
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i * 8)..]);
            uint line = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i * 8 + 4)..]);
            if (offset > int.MaxValue || line > int.MaxValue)
                throw Fail($"line table row {i} is out of range");
            lines[i] = new LineEntry((int)offset, (int)line);
        }
        return lines;
    }

    private void ExpectTag(byte expected, string what)
    {
        int at = _position;
        byte tag = ReadByte(what);
        if (tag != expected)
            throw Fail($"expected {what} (tag '{(char)expected}') at offset {at}, found 0x{tag:X2}");
    }

    private int ReadTupleHeader(string what, int minItemSize, int limit)
    {
        ExpectTag(TxtcFormat.TagTuple, "a tuple");
        return ReadCount(what, minItemSize, limit);
    }

    /// <summary>
    /// A count of items that must still fit in the bytes that remain and stay within
    /// <paramref name="limit"/>. The bytes left are checked first: a count they cannot hold means
    /// a corrupt file, which says more than "too large".
    /// </summary>
    private int ReadCount(string what, int minItemSize, int limit = int.MaxValue, string unit = "")
    {
        int at = _position;
        uint count = ReadU32();
        long remaining = _data.Length - _position;
        if ((long)count * minItemSize > remaining)
            throw Fail($"truncated or corrupt file: {what} {count} at offset {at} exceeds the {remaining} bytes left");
        if (count > limit)
            throw Fail($"{what} {count} at offset {at} exceeds the limit of {limit}{unit}");
        return (int)count;
    }

    /// <summary>The length in bytes of <paramref name="what"/> (<see cref="ReadCount"/>; its name in
    /// a message is made only for the message).</summary>
    private int ReadLength(string what, int limit)
    {
        int at = _position;
        uint length = ReadU32();
        if (length <= limit && length <= _data.Length - _position) return (int)length;
        _position = at;
        return ReadCount($"the length of {what}", 1, limit, " bytes");
    }

    private string ReadString(string what)
    {
        ExpectTag(TxtcFormat.TagString, what);
        return ReadStringPayload(what);
    }

    private string ReadStringPayload(string what)
    {
        int length = ReadLength(what, _limits.MaxStringLength);
        int at = _position;
        var bytes = Take(length, what);
        try
        {
            if (bytes.Length > RecentStringMaxLength) return StrictUtf8.GetString(bytes);
            ref string? recent = ref _recentStrings[Hash(bytes) % RecentStringSlots];
            if (recent is not null && IsAsciiOf(recent, bytes)) return recent;
            return recent = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Fail($"{what} at offset {at} is not valid UTF-8");
        }
    }

    private byte[] ReadByteString(string what, int limit)
    {
        ExpectTag(TxtcFormat.TagBytes, what);
        return ReadByteStringPayload(what, limit);
    }

    private byte[] ReadByteStringPayload(string what, int limit)
    {
        int length = ReadLength(what, limit);
        return Take(length, what).ToArray();
    }

    private static uint Hash(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (byte b in bytes) hash = (hash ^ b) * 16777619;
        return hash;
    }

    /// <summary>True when <paramref name="bytes"/> are ASCII and spell <paramref name="text"/>.</summary>
    private static bool IsAsciiOf(string text, ReadOnlySpan<byte> bytes)
    {
        if (text.Length != bytes.Length) return false;
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i] >= 0x80 || text[i] != bytes[i]) return false;
        return true;
    }

    private int ReadInt32(string what)
    {
        int at = _position;
        uint value = ReadU32();
        if (value > int.MaxValue)
            throw Fail($"{what} {value} at offset {at} is out of range");
        return (int)value;
    }

    private byte ReadByte(string what) => Take(1, what)[0];

    private uint ReadU32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, "a 32-bit integer"));

    private long ReadI64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8, "a 64-bit value"));

    /// <summary>The one primitive every read goes through: the next <paramref name="count"/> bytes, or a truncation error.</summary>
    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || count > _data.Length - _position)
            throw Fail($"truncated file: needed {count} byte(s) for {what} at offset {_position}, but the file ends at {_data.Length}");
        var span = _data.AsSpan(_position, count);
        _position += count;
        return span;
    }

    private MiniVmLoadException Fail(string detail) => new(_fileName, detail);
}
