using System.Globalization;

namespace MiniVm.Fuzz;

/// <summary>The runner's options, parsed by hand: a few flags do not need a parser library.</summary>
public sealed class FuzzCommandLine
{
    public required string Harness { get; init; }
    public long? Count { get; private set; }
    public double? Seconds { get; private set; }
    public ulong? Seed { get; private set; }
    public long Start { get; private set; }
    public int TimeoutMs { get; private set; } = 10_000;
    public string? Findings { get; private set; }
    public string? Root { get; private set; }
    public List<string> Replay { get; } = [];
    public bool SaveCrash { get; private set; }

    /// <summary>--show: write the inputs to stdout instead of running them.</summary>
    public bool Show { get; private set; }
    public List<string> Minimize { get; } = [];

    /// <summary>--regression FILE NAME: the program to save as a corpus test, and its name.</summary>
    public (string File, string Name)? Regression { get; private set; }

    public static FuzzCommandLine Parse(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
            throw new UsageException("name a harness first");
        if (!Harnesses.Names.Contains(args[0]))
            throw new UsageException($"unknown harness '{args[0]}' (expected {string.Join(" or ", Harnesses.Names)})");
        var options = new FuzzCommandLine { Harness = args[0] };
        for (int i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--count": options.Count = Number(Value(), "--count", 1); break;
                case "--seconds": options.Seconds = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 ? s : throw new UsageException("--seconds needs a positive number"); break;
                case "--seed": options.Seed = ulong.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed) ? seed : throw new UsageException("--seed needs a non-negative integer"); break;
                case "--start": options.Start = Number(Value(), "--start", 0); break;
                case "--timeout-ms": options.TimeoutMs = (int)Number(Value(), "--timeout-ms", 1); break;
                case "--findings": options.Findings = Path.GetFullPath(Value()); break;
                case "--root": options.Root = Path.GetFullPath(Value()); break;
                case "--save-crash": options.SaveCrash = true; break;
                case "--show": options.Show = true; break;
                case "--replay":
                    options.Replay.Add(Value());
                    while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) options.Replay.Add(args[++i]);
                    break;
                case "--minimize":
                    options.Minimize.Add(Value());
                    while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) options.Minimize.Add(args[++i]);
                    break;
                case "--regression":
                    if (i + 2 >= args.Length) throw new UsageException("--regression needs a file and a name");
                    options.Regression = (args[++i], args[++i]);
                    break;
                default: throw new UsageException($"unknown option '{args[i]}'");
            }
        }
        return options;
    }

    private static long Number(string text, string option, long minimum) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value >= minimum
            ? value
            : throw new UsageException($"{option} needs an integer of at least {minimum}");
}

/// <summary>A bad command line (exit code 2), as opposed to a failure of the run itself.</summary>
public sealed class UsageException(string message) : Exception(message);
