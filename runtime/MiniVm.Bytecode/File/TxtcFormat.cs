namespace MiniVm.Bytecode.File;

/// <summary>
/// The constants of the <c>.txtc</c> layout (docs/bytecode.md describes it byte by byte).
/// After the magic number comes a marshal-style stream: one type byte, then its payload,
/// integers little-endian.
/// </summary>
public static class TxtcFormat
{
    /// <summary>The magic number, read as a little-endian 32-bit integer (bytes 03 F3 0D 0A).</summary>
    public const uint Magic = 0x0A0DF303;

    /// <summary>The module-form version this compiler writes and this reader accepts.</summary>
    public const uint FormatVersion = 1;

    /// <summary>Seed form: 's' + u32 length + code bytes, one block of top-level code.</summary>
    public const byte TagSeedCode = (byte)'s';
    /// <summary>Module form: 'M' + u32 format version + the module's fields.</summary>
    public const byte TagModule = (byte)'M';
    /// <summary>A code object: 'c' + u32 counts + its tagged fields.</summary>
    public const byte TagCode = (byte)'c';
    /// <summary>A byte string: 's' + u32 length + bytes (code, line tables).</summary>
    public const byte TagBytes = (byte)'s';
    /// <summary>A tuple: '(' + u32 count + that many tagged values.</summary>
    public const byte TagTuple = (byte)'(';
    /// <summary>A text string: 'u' + u32 byte length + UTF-8.</summary>
    public const byte TagString = (byte)'u';
    /// <summary>A 64-bit integer: 'i' + 8 bytes.</summary>
    public const byte TagInt = (byte)'i';
    /// <summary>A binary double: 'g' + 8 bytes (IEEE-754).</summary>
    public const byte TagFloat = (byte)'g';
    public const byte TagTrue = (byte)'T';
    public const byte TagFalse = (byte)'F';
    public const byte TagNone = (byte)'N';

    /// <summary>Bytes of one line-table row: u32 offset, u32 line.</summary>
    public const int LineEntrySize = 8;
}
