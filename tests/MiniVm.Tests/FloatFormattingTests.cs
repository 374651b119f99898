using System.Globalization;
using MiniVm.Bytecode.Text;

namespace MiniVm.Tests;

/// <summary>Float printing against Python's <c>repr</c> over 20,000 doubles (tests/data/float-repr.txt,
/// made by tests/data/make-float-repr.py), and through a whole program run.</summary>
public sealed class FloatFormattingTests
{
    [Fact]
    public void EveryDoubleFormatsExactlyAsPythonRepr()
    {
        var failures = new List<string>();
        int checkedCount = 0;
        foreach (string line in File.ReadLines(Path.Combine(TestPaths.Data, "float-repr.txt")))
        {
            var parts = line.Split(' ');
            double value = BitConverter.Int64BitsToDouble(long.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            string actual = FloatFormat.Format(value);
            if (actual != parts[1]) failures.Add($"{parts[0]}: expected {parts[1]}, got {actual}");
            checkedCount++;
        }
        Assert.True(checkedCount > 20_000, $"only {checkedCount} values checked");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    [Theory]
    [InlineData("print(1e16, 1.5e-05, 0.1 + 0.2, -0.0, 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0, 100.0)", "1e+16 1.5e-05 0.30000000000000004 -0.0 inf -inf nan 100.0\n")]
    [InlineData("print(str(2.5) + \"!\", 5e-324, 1.7976931348623157e308)", "2.5! 5e-324 1.7976931348623157e+308\n")]
    public void ProgramsPrintFloatsAsPython(string source, string expected)
    {
        var outcome = ProgramRunner.Run(source, "floats.expr", new MiniVmOptions());
        Assert.Equal(expected, outcome.Stdout);
    }
}
