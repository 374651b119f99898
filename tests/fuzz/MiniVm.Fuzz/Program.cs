using System.Globalization;
using MiniVm.Fuzz;
using MiniVm.Fuzz.Differential;
using MiniVm.Fuzz.Engine;

// tests/fuzz/run <harness> [--count N | --seconds T] [--seed S] [--start I] [--timeout-ms M]
//                          [--findings DIR] [--root DIR] [--replay FILE...] [--save-crash]
//                          [--minimize FILE...] [--regression FILE NAME] [--show]
// Exit codes: 0 no finding, 1 findings, 2 a bad command line.
const string Usage = """
    usage: run <loader|compiler|differential> [--count N | --seconds T] [--seed S] [--start I]
                                 [--timeout-ms M] [--findings DIR] [--root DIR]
           run <harness> --replay FILE...              runs saved inputs once each
           run <harness> --save-crash                  saves the input a killed run was at
           run <harness> --seed S --start I [--count N] --show   writes inputs to stdout, runs nothing
           run differential --minimize FILE...         shrinks programs that modes run differently (FILE-min.expr)
           run differential --regression FILE NAME     saves FILE as tests/programs/regressions/NAME.expr
                                                       with the interpreter's output as NAME.out/.err
    """;

try
{
    var options = FuzzCommandLine.Parse(args);
    string root = options.Root ?? RepositoryPaths.FindRoot();
    string findings = options.Findings ?? RepositoryPaths.Findings(root);
    string journal = Path.Combine(findings, $".journal-{options.Harness}");
    var harness = Harnesses.Create(options.Harness, root);

    if (options.SaveCrash)
        return SaveCrash(harness, journal, findings);
    if (options.Replay.Count > 0)
        return Replay(harness, options.Replay);
    if (options.Minimize.Count > 0)
        return Minimize(harness, options.Minimize);
    if (options.Regression is { } regression)
    {
        if (harness is not DifferentialHarness) throw new UsageException("--regression is for the differential harness");
        Console.WriteLine($"saved {RegressionTest.Save(regression.File, regression.Name, root)} (and its .out/.err, from the interpreter)");
        return 0;
    }

    ulong seed = options.Seed ?? (ulong)DateTime.UtcNow.Ticks % 1_000_000_000;
    if (options.Show)
    {
        using var stdout = Console.OpenStandardOutput();
        for (long index = options.Start; index < options.Start + (options.Count ?? 1); index++)
            stdout.Write(harness.Generate(seed, index).Data);
        return 0;
    }
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{harness.Name}: seed {seed}, {(options.Count is { } c ? $"{c:N0} inputs" : options.Seconds is { } s ? $"{s} s" : "1 input")} from input {options.Start}; findings go to {findings}"));
    var report = FuzzRunner.Run(harness, new FuzzSettings
    {
        Seed = seed,
        Start = options.Start,
        Count = options.Count,
        Duration = options.Seconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        InputTimeout = TimeSpan.FromMilliseconds(options.TimeoutMs),
        FindingsDirectory = findings,
        Progress = Console.Error,
        JournalPath = journal,
    });
    Console.Write(report.Summary());
    Console.Out.Flush();
    // A hung input's thread cannot be stopped; exiting the process ends it.
    Environment.Exit(report.Findings.Count == 0 ? 0 : 1);
    return 0;
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}

static int Replay(IFuzzHarness harness, IReadOnlyList<string> files)
{
    int failures = 0;
    foreach (string file in files)
    {
        var input = new FuzzInput(File.ReadAllBytes(file), "replay");
        string? failure = FuzzRunner.Check(harness, input);
        Console.WriteLine(failure is null ? $"{file}: {harness.Execute(input)}" : $"{file}: FAILS{Environment.NewLine}{failure}");
        if (failure is not null) failures++;
    }
    return failures == 0 ? 0 : 1;
}

static int Minimize(IFuzzHarness harness, IReadOnlyList<string> files)
{
    if (harness is not IMinimizingHarness minimizing) throw new UsageException($"the {harness.Name} harness does not minimise");
    int shrunk = 0;
    foreach (string file in files)
    {
        var minimized = minimizing.Minimize(new FuzzInput(File.ReadAllBytes(file), "minimize"));
        if (minimized is null)
        {
            Console.WriteLine($"{file}: shows no difference; nothing to minimise");
            continue;
        }
        string output = Path.ChangeExtension(file, null) + "-min" + harness.InputExtension;
        File.WriteAllBytes(output, minimized.Data);
        File.WriteAllText(Path.ChangeExtension(output, ".txt"), minimized.Note + Environment.NewLine);
        Console.WriteLine($"{file}: minimised as {output}{Environment.NewLine}{minimized.Note}");
        shrunk++;
    }
    return shrunk == 0 ? 0 : 1;
}

static int SaveCrash(IFuzzHarness harness, string journal, string findings)
{
    if (CrashJournal.ReadCrashed(journal) is not { } crashed)
    {
        Console.Error.WriteLine($"{harness.Name}: the journal records no run that died");
        return 0;
    }
    var input = harness.Generate(crashed.Seed, crashed.Index);
    var finding = new Finding
    {
        Kind = "crash",
        Signature = "crash",
        Index = crashed.Index,
        Generator = input.Generator,
        Description = "the process died running this input (a stack overflow or another fatal error: see the run's output)",
    };
    FindingStore.Save(harness, crashed.Seed, finding, input, findings);
    Console.Error.WriteLine($"{harness.Name}: seed {crashed.Seed}, input {crashed.Index} killed the process; saved as {finding.InputPath}");
    return 1;
}
