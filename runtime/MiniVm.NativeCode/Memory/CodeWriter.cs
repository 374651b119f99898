namespace MiniVm.NativeCode.Memory;

/// <summary>
/// Writes one function's machine code. <paramref name="address"/> is the final executable
/// address the first byte will run at (so RIP-relative operands and relative branches to
/// absolute targets can be resolved, e.g. Iced's <c>Assembler.Assemble(writer, (ulong)address)</c>);
/// <paramref name="code"/> is a staging buffer of exactly the requested size, pre-filled with
/// <c>int3</c> (0xCC). It is not the executable memory itself: the heap copies it there only
/// after the writer returns, so a writer that throws leaves nothing behind.
/// </summary>
/// <param name="address">Where the code will execute; 16-byte aligned.</param>
/// <param name="code">The bytes to fill; valid only during the call.</param>
public delegate void CodeWriter(nint address, Span<byte> code);

/// <summary>
/// Like <see cref="CodeWriter"/>, for code whose final size is known only once it has been
/// assembled at its final address: <paramref name="code"/> holds the maximum size the caller
/// reserved, and the writer returns how many bytes it used (1 to <c>code.Length</c>). The unused
/// tail goes back to the heap.
/// </summary>
/// <param name="address">Where the code will execute; 16-byte aligned.</param>
/// <param name="code">The bytes to fill (the reserved maximum); valid only during the call.</param>
/// <returns>The number of bytes written from the start of <paramref name="code"/>.</returns>
public delegate int SizedCodeWriter(nint address, Span<byte> code);
