using System.Globalization;
using System.Text.RegularExpressions;
using MiniVm.NativeCode.Diagnostics;
using MiniVm.NativeCode.Memory;
using MiniVm.NativeCode.Tests.Support;

namespace MiniVm.NativeCode.Tests;

/// <summary>The perf map: one well-formed <c>START SIZE name</c> line per installed function.</summary>
public sealed partial class PerfMapTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"minivm-perfmap-test-{Guid.NewGuid():N}.map");

    public void Dispose() => File.Delete(_path);

    [GeneratedRegex("^(?<start>[0-9a-f]+) (?<size>[0-9a-f]+) (?<name>[^\n]+)$")]
    private static partial Regex LinePattern();

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void Every_install_appends_one_well_formed_line(CodeMemoryMode mode)
    {
        var installed = new List<(nint Address, int Size, string Name)>();
        using (var perfMap = new PerfMap(_path))
        using (var heap = new CodeHeap(new CodeHeapOptions { Mode = mode, PerfMap = perfMap }))
        {
            for (int i = 0; i < 20; i++)
            {
                string name = $"minivm:test.expr:function_{i}";
                int size = 6 + i;
                byte[] code = X64.ReturnConstant(i);
                installed.Add((heap.Install(size, (_, span) => code.CopyTo(span), name), size, name));
            }
            Assert.Throws<InvalidOperationException>(() => heap.Install(8, (_, _) => throw new InvalidOperationException(), "failed"));
        }

        string[] lines = File.ReadAllLines(_path);
        Assert.Equal(installed.Count, lines.Length); // the failed install wrote nothing
        for (int i = 0; i < lines.Length; i++)
        {
            Match match = LinePattern().Match(lines[i]);
            Assert.True(match.Success, $"malformed perf map line '{lines[i]}'");
            Assert.Equal((ulong)installed[i].Address, ulong.Parse(match.Groups["start"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            Assert.Equal((ulong)installed[i].Size, ulong.Parse(match.Groups["size"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            Assert.Equal(installed[i].Name, match.Groups["name"].Value);
        }
    }

    [Fact]
    public void Lines_are_hex_without_prefix_and_names_stay_on_one_line()
    {
        Assert.Equal("7f00dead0010 2a minivm:f\n", PerfMap.FormatLine(unchecked((nint)0x7f00dead0010), 42, "minivm:f"));
        Assert.Equal("10 1 bad?name?here\n", PerfMap.FormatLine(0x10, 1, "bad\nname\rhere"));
        Assert.Equal("10 1 [unnamed]\n", PerfMap.FormatLine(0x10, 1, ""));
        Assert.Equal("10 1 with spaces (and unicode é)\n", PerfMap.FormatLine(0x10, 1, "with spaces (and unicode é)"));
    }

    [Fact]
    public void Lines_written_from_many_threads_are_whole_and_reach_the_file_at_once()
    {
        const int threads = 4, perThread = 500;
        using (var perfMap = new PerfMap(_path))
        {
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                for (int i = 0; i < perThread; i++)
                {
                    perfMap.Record((nint)(0x10000 + t * 0x1000 + i * 16), 16, $"thread{t}:function{i}");
                }
            });
            // Unbuffered: everything is in the file before the map is closed.
            Assert.Equal(threads * perThread, File.ReadAllLines(_path).Length);
        }

        string[] lines = File.ReadAllLines(_path);
        Assert.All(lines, line => Assert.Matches(LinePattern(), line));
        Assert.Equal(threads * perThread, lines.Distinct().Count());
    }

    [Fact]
    public void A_map_appends_to_an_existing_file()
    {
        File.WriteAllText(_path, "1000 10 earlier\n");
        using (var perfMap = new PerfMap(_path))
        {
            perfMap.Record(0x2000, 0x20, "later");
        }

        Assert.Equal(["1000 10 earlier", "2000 20 later"], File.ReadAllLines(_path));
    }

    [Fact]
    public void A_disposed_map_refuses_records()
    {
        var perfMap = new PerfMap(_path);
        perfMap.Dispose();

        Assert.Throws<ObjectDisposedException>(() => perfMap.Record(0x10, 1, "late"));
    }

    [Fact]
    public void The_default_path_is_where_perf_looks()
    {
        Assert.Equal($"/tmp/perf-{Environment.ProcessId}.map", PerfMap.DefaultPath);
        Assert.Equal("MINIVM_PERF_MAP", PerfMap.EnvironmentVariable);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData(" yes ", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void The_environment_variable_turns_the_shared_map_on(string? value, bool enabled)
    {
        Assert.Equal(enabled, PerfMap.IsEnabledValue(value));
    }
}
