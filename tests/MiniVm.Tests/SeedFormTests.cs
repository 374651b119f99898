namespace MiniVm.Tests;

/// <summary>The seed lesson's 17-byte file must load and print 635 forever.</summary>
public sealed class SeedFormTests
{
    private static readonly byte[] SeedFile = [0x03, 0xf3, 0x0d, 0x0a, 0x73, 0x08, 0x00, 0x00, 0x00, 0x64, 0x0c, 0x64, 0x30, 0x14, 0x64, 0x3b, 0x17];

    [Fact]
    public void TheSeedFilePrints635()
    {
        var output = new StringWriter();
        MiniVmModule.Load(SeedFile, "test_token.txtc").Run(new MiniVmOptions { Output = output });
        Assert.Equal("635\n", output.ToString());
    }

    [Fact]
    public void SeedCodeMayUseTheOtherStackAndArithmeticOpcodes()
    {
        // 7 - 2 with ROT_TWO: (2, 7) → (7, 2) → 5; then DUP_TOP and multiply: 25; 25 / 4 = 6; 6 % 4 = 2; -2.
        byte[] code = [0x64, 2, 0x64, 7, 0x02, 0x18, 0x04, 0x14, 0x64, 4, 0x15, 0x64, 4, 0x16, 0x0b];
        byte[] file = [0x03, 0xf3, 0x0d, 0x0a, 0x73, (byte)code.Length, 0, 0, 0, .. code];
        var output = new StringWriter();
        MiniVmModule.Load(file, "seed.txtc").Run(new MiniVmOptions { Output = output });
        Assert.Equal("-2\n", output.ToString());
    }

    [Fact]
    public void SeedCodeThatLeavesNothingToPrintIsRejected()
    {
        byte[] file = [0x03, 0xf3, 0x0d, 0x0a, 0x73, 3, 0, 0, 0, 0x64, 1, 0x01];
        var error = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(file, "empty.txtc"));
        Assert.Equal("empty.txtc: seed code leaves no value on the stack to print", error.Message);
    }

    [Fact]
    public void SeedCodeWithAJumpIsRejected()
    {
        byte[] file = [0x03, 0xf3, 0x0d, 0x0a, 0x73, 2, 0, 0, 0, 0x71, 0];
        var error = Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(file, "jump.txtc"));
        Assert.Equal("jump.txtc: seed code: JUMP_ABSOLUTE (113) at offset 0 is not allowed in the seed form", error.Message);
    }
}
