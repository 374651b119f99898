using MiniVm.Fuzz.Engine;

namespace MiniVm.Tests;

/// <summary>
/// The fuzz runner itself: it must notice each kind of finding (an unexpected exception, a
/// broken invariant, too much allocation, an input that never returns), save the input with a
/// way to reproduce it, and make the same inputs for the same seed every time.
/// </summary>
public sealed class FuzzRunnerTests : IDisposable
{
    private readonly string _findings = Path.Combine(Path.GetTempPath(), $"minivm-fuzz-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_findings)) Directory.Delete(_findings, recursive: true);
    }

    /// <summary>Input N is the byte N; input 3 throws, 5 breaks an invariant, 7 allocates a megabyte, 9 hangs.</summary>
    private sealed class Misbehaving : IFuzzHarness
    {
        public ManualResetEventSlim Release { get; } = new();
        public string Name => "test";
        public string InputExtension => ".bin";
        public FuzzInput Generate(ulong seed, long index) => new([(byte)index], "numbers");
        public long AllocationBound(FuzzInput input) => 100_000;

        public string Execute(FuzzInput input)
        {
            switch (input.Data[0])
            {
                case 3: throw new InvalidOperationException("boom");
                case 5: throw new FuzzInvariantException("a promise broken: details");
                case 7: GC.KeepAlive(new byte[1 << 20]); break;
                case 9: Release.Wait(); break;
            }
            return "fine";
        }
    }

    [Fact]
    public void EveryKindOfFindingIsReportedAndSaved()
    {
        var harness = new Misbehaving();
        try
        {
            var report = FuzzRunner.Run(harness, new FuzzSettings
            {
                Seed = 42,
                Count = 20,
                InputTimeout = TimeSpan.FromMilliseconds(500),
                FindingsDirectory = _findings,
            });
            Assert.Equal(["exception", "exception", "allocation", "hang"], report.Findings.Select(f => f.Kind));
            Assert.Equal([3L, 5, 7, 9], report.Findings.Select(f => f.Index));
            Assert.Contains("System.InvalidOperationException in", report.Findings[0].Signature);
            Assert.Equal("invariant: a promise broken", report.Findings[1].Signature);
            Assert.Contains("allocated", report.Findings[2].Description);
            Assert.Equal(9, report.Inputs);                        // 0..8 finished; 9 never returned
            Assert.Contains("input 9 hangs", report.StoppedEarly);
            foreach (var finding in report.Findings)
            {
                Assert.True(File.Exists(finding.InputPath), finding.ToString());
                Assert.Equal([(byte)finding.Index], File.ReadAllBytes(finding.InputPath!));
                string notes = File.ReadAllText(Path.ChangeExtension(finding.InputPath!, ".txt"));
                Assert.Contains($"--seed 42 --start {finding.Index} --count 1", notes);
            }
            Assert.Equal(7, report.OutcomeCount(o => o == "numbers: fine"));   // 0-2, 4, 6, 8, and 7 (it returned)
        }
        finally
        {
            harness.Release.Set();
        }
    }

    [Fact]
    public void CheckJudgesOneInput()
    {
        var harness = new Misbehaving();
        Assert.Null(FuzzRunner.Check(harness, new FuzzInput([1], "one")));
        Assert.Contains("boom", FuzzRunner.Check(harness, new FuzzInput([3], "three")));
    }

    [Fact]
    public void InputsDependOnlyOnTheSeedAndTheirNumber()
    {
        foreach (IFuzzHarness harness in new IFuzzHarness[] { FuzzSessions.Loader, FuzzSessions.Compiler, FuzzSessions.Differential })
        {
            var first = Enumerable.Range(0, 50).Select(i => harness.Generate(7, i).Data).ToArray();
            var again = Enumerable.Range(0, 50).Reverse().Select(i => harness.Generate(7, i).Data).Reverse().ToArray();
            Assert.Equal(first, again);
            var otherSeed = Enumerable.Range(0, 50).Select(i => harness.Generate(8, i).Data).ToArray();
            Assert.True(first.Zip(otherSeed).Count(p => p.First.AsSpan().SequenceEqual(p.Second)) < 10, harness.Name);
        }
    }
}
