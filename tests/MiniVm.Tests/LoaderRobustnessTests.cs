using System.Buffers.Binary;
using MiniVm.Compiler;
using MiniVm.Fuzz.Engine;

namespace MiniVm.Tests;

/// <summary>
/// Lua-style loader tests: every byte of valid files flipped, every truncated prefix loaded,
/// and a short seeded run of the loader fuzzer (tests/fuzz, the same harness the long runs
/// use). Each load must succeed or raise <see cref="MiniVmLoadException"/> — nothing else, no
/// hang, no allocation out of proportion to the file.
/// </summary>
public sealed class LoaderRobustnessTests
{
    private const string Program = """
        # a bit of everything the file format carries
        let greeting = "hi\tthere";
        let total = 0;
        fn add(a, b) { return a + b; }
        fn loop(n) {
            let i = 0;
            while i < n { if i % 2 == 0 { total = add(total, i); } else { continue; } i = i + 1; }
            return total * 1.5;
        }
        print(greeting, loop(3), -0.0, none, true and false);
        str(12) + "!"
        """;

    public static TheoryData<string> Files() => new() { "program", "seed", "empty-module" };

    private static byte[] Sample(string name) => name switch
    {
        "program" => MiniVmCompiler.Compile(Program, "sample.expr").ToBytes(),
        "seed" => [0x03, 0xf3, 0x0d, 0x0a, 0x73, 0x08, 0x00, 0x00, 0x00, 0x64, 0x0c, 0x64, 0x30, 0x14, 0x64, 0x3b, 0x17],
        _ => MiniVmCompiler.Compile("", "empty.expr").ToBytes(),
    };

    /// <summary>The fuzz harness's judgement of one input: loads or is rejected with the loader's
    /// exception, and a loaded file disassembles and writes back to the same bytes.</summary>
    private static void LoadOrReject(byte[] bytes, string what)
    {
        string? failure = FuzzRunner.Check(FuzzSessions.Loader, new FuzzInput(bytes, what));
        Assert.True(failure is null, $"{what}: {failure}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void SamplesLoad(string name) => MiniVmModule.Load(Sample(name), name);

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryFlippedByteLoadsOrIsRejected(string name)
    {
        byte[] original = Sample(name);
        foreach (byte mask in new byte[] { 0xFF, 0x01, 0x80, 0x7F })
        {
            for (int i = 0; i < original.Length; i++)
            {
                byte[] mutated = (byte[])original.Clone();
                mutated[i] ^= mask;
                LoadOrReject(mutated, $"byte {i} ^ 0x{mask:X2}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryTruncatedPrefixIsRejected(string name)
    {
        byte[] original = Sample(name);
        for (int length = 0; length < original.Length; length++)
        {
            var error = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(original[..length], "cut.txtc"));
            Assert.StartsWith("cut.txtc: ", error.Message);
        }
    }

    [Fact]
    public void BadMagicNumberIsNamed()
    {
        var error = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load("\u007fELF...."u8.ToArray(), "hello.txtc"));
        Assert.Equal("hello.txtc: not a MiniVm bytecode file (bad magic number 0x464C457F, expected 0x0A0DF303)", error.Message);
        var tiny = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load([0x03, 0xf3], "tiny.txtc"));
        Assert.Equal("tiny.txtc: not a MiniVm bytecode file (only 2 bytes, expected the magic number 0x0A0DF303)", tiny.Message);
    }

    [Fact]
    public void UnknownFormatVersionIsRejected()
    {
        byte[] bytes = Sample("program");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(5), 99);
        var error = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(bytes, "future.txtc"));
        Assert.Equal("future.txtc: unsupported format version 99 (this MiniVm reads version 1)", error.Message);
    }

    [Fact]
    public void HugeLengthFieldsDoNotAllocate()
    {
        // The source-name string's length field, claimed to be 2^31 - 1 and 2^32 - 1 bytes.
        foreach (uint huge in new[] { 0x7FFFFFFFu, 0xFFFFFFFFu, 0x80000000u })
        {
            byte[] bytes = Sample("program");
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(10), huge);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var error = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(bytes, "huge.txtc"));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Contains("exceeds the", error.Message);
            Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes for a bogus length");
        }
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        byte[] bytes = [.. Sample("program"), 0x00];
        var error = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(bytes, "tail.txtc"));
        Assert.Contains("unexpected byte(s) after the end of the module", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ShortFuzzRunFindsNothing(ulong seed)
    {
        // Corpus files mutated by the loader harness (aimed at counts, lengths, opcodes and
        // arguments, then blind: flips, splices, truncations, insertions): tests/fuzz/run loader
        // --seed 1 --count 50000 makes the same inputs.
        var report = FuzzSessions.RunAndExpectNoFinding(FuzzSessions.Loader, seed, 50_000);
        Assert.True(report.OutcomeCount(o => o.EndsWith(": loaded", StringComparison.Ordinal)) > 300, "too few mutated files load: " + report.Summary());
        Assert.True(report.OutcomeCount(o => o.Contains(": verifier: ", StringComparison.Ordinal)) > 3000, "too few mutated files reach the verifier: " + report.Summary());
    }
}
