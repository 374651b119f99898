namespace MiniVm.NativeCode.Tests.Support;

/// <summary>Hand-encoded x86-64 functions (System V ABI: arguments in rdi, rsi; result in
/// rax), and calls into installed code.</summary>
internal static unsafe class X64
{
    /// <summary><c>mov eax, value; ret</c> (6 bytes).</summary>
    public static byte[] ReturnConstant(int value) =>
        [0xB8, (byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24), 0xC3];

    /// <summary><c>lea rax, [rdi + rsi]; ret</c> (5 bytes): a + b.</summary>
    public static readonly byte[] Add = [0x48, 0x8D, 0x04, 0x37, 0xC3];

    /// <summary><c>lea rax, [rip + 0]; ret</c> (8 bytes): returns its own address + 7, so the
    /// result shows where the code really runs.</summary>
    public static readonly byte[] ReturnOwnRip = [0x48, 0x8D, 0x05, 0x00, 0x00, 0x00, 0x00, 0xC3];

    public const byte Nop = 0x90;

    public static int CallInt(nint function) => ((delegate* unmanaged<int>)function)();

    public static long CallLong(nint function) => ((delegate* unmanaged<long>)function)();

    public static long CallLong(nint function, long a, long b) => ((delegate* unmanaged<long, long, long>)function)(a, b);
}
