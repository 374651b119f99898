using System.Diagnostics;
using System.Globalization;

namespace MiniVm.Fuzz.Engine;

/// <summary>
/// Runs a harness over inputs start, start+1, ... of a seed. Inputs run on a worker thread,
/// one at a time, each measured for allocation (<see cref="GC.GetAllocatedBytesForCurrentThread"/>);
/// the calling thread watches the clock, so an input that never returns is reported as a hang
/// (the worker is a background thread and is abandoned) instead of stopping the run silently.
/// The first input of each distinct finding is saved; a harness that can shrink its inputs
/// (<see cref="IMinimizingHarness"/>) shrinks it first, on the worker, outside the timeout.
/// </summary>
public static class FuzzRunner
{
    public static FuzzReport Run(IFuzzHarness harness, FuzzSettings settings)
    {
        ArgumentNullException.ThrowIfNull(harness);
        ArgumentNullException.ThrowIfNull(settings);
        var run = new RunState(harness, settings);
        // The default stack size on purpose: hosts compile and load on thread-pool threads.
        var worker = new Thread(run.Work) { IsBackground = true, Name = $"fuzz {harness.Name}" };
        worker.Start();
        var nextProgress = settings.ProgressInterval;
        while (!worker.Join(TimeSpan.FromMilliseconds(50)))
        {
            if (run.CurrentInputTime() > settings.InputTimeout)
            {
                run.RecordHang();
                break;
            }
            if (settings.Progress is not null && run.Clock.Elapsed >= nextProgress)
            {
                settings.Progress.WriteLine(run.ProgressLine());
                nextProgress += settings.ProgressInterval;
            }
        }
        return run.Report();
    }

    /// <summary>
    /// Runs one input on the calling thread with the run's checks (exceptions, invariants,
    /// allocation; no timeout). Returns null, or what went wrong. For tests that make their own
    /// inputs (every byte flipped, every prefix) but want the fuzzers' judgement of them.
    /// </summary>
    public static string? Check(IFuzzHarness harness, FuzzInput input)
    {
        var (_, failure) = Execute(harness, input);
        return failure?.Description;
    }

    /// <summary>One input: its outcome label, or a finding (without its number) when it failed.</summary>
    private static (string Outcome, (string Kind, string Signature, string Description)? Failure) Execute(IFuzzHarness harness, FuzzInput input)
    {
        long bound = harness.AllocationBound(input);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string outcome;
        try
        {
            outcome = harness.Execute(input);
        }
        catch (Exception e)
        {
            return ("finding", ("exception", ExceptionSignature(e), e.ToString()));
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > bound)
            return (outcome, ("allocation", $"allocation: {outcome}",
                string.Create(CultureInfo.InvariantCulture, $"allocated {allocated:N0} bytes for a {input.Data.Length:N0}-byte input (outcome: {outcome}); the bound is {bound:N0}")));
        return (outcome, null);
    }

    /// <summary>The exception's type and the innermost MiniVm method on its stack: the same bug
    /// reached by many inputs is one finding. A broken invariant is named by its message's start.</summary>
    private static string ExceptionSignature(Exception e)
    {
        if (e is FuzzInvariantException)
        {
            string message = e.Message;
            int cut = message.IndexOfAny([':', '\n']);
            return "invariant: " + (cut > 0 ? message[..cut] : message);
        }
        var frame = new StackTrace(e).GetFrames()
            .Select(f => f.GetMethod())
            .FirstOrDefault(m => m?.DeclaringType?.FullName?.StartsWith("MiniVm.", StringComparison.Ordinal) == true
                && m.DeclaringType.Namespace?.StartsWith("MiniVm.Fuzz", StringComparison.Ordinal) != true);
        string where = frame is null ? "?" : $"{frame.DeclaringType!.FullName}.{frame.Name}";
        return $"{e.GetType().FullName} in {where}";
    }

    /// <summary>The state of one run, shared by the worker and the watching thread.</summary>
    private sealed class RunState(IFuzzHarness harness, FuzzSettings settings)
    {
        private readonly object _gate = new();
        private readonly Dictionary<string, long> _outcomes = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Finding> _findings = new(StringComparer.Ordinal);
        private long _done;
        private long _current = -1;
        private long _startedAt;        // Stopwatch timestamp of the running input; 0 between inputs
        private volatile string? _stoppedEarly;

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public void Work()
        {
            using var journal = settings.JournalPath is null ? null : new CrashJournal(settings.JournalPath, settings.Seed);
            long end = settings.Count is { } count ? settings.Start + count
                : settings.Duration is null ? settings.Start + 1 : long.MaxValue;
            for (long index = settings.Start; index < end && _stoppedEarly is null; index++)
            {
                if (settings.Duration is { } duration && Clock.Elapsed >= duration) break;
                var input = harness.Generate(settings.Seed, index);
                journal?.Record(index);
                Volatile.Write(ref _current, index);
                Volatile.Write(ref _startedAt, Stopwatch.GetTimestamp());
                var (outcome, failure) = Execute(harness, input);
                Volatile.Write(ref _startedAt, 0);
                bool isNew = false;
                lock (_gate)
                {
                    string label = $"{input.Generator}: {outcome}";
                    _outcomes[label] = _outcomes.GetValueOrDefault(label) + 1;
                    if (failure is { } f) isNew = !CountIfKnown(f.Signature);
                }
                if (failure is { } found && isNew)
                {
                    // Outside the lock and the timeout (the clock only runs while an input runs):
                    // shrinking takes seconds, and only a new finding is worth it.
                    var minimized = Minimize(input, index);
                    lock (_gate) Add(found.Kind, found.Signature, found.Description, index, input, minimized);
                }
                Interlocked.Increment(ref _done);
            }
        }

        /// <summary>How long the running input has been running (zero between inputs).</summary>
        public TimeSpan CurrentInputTime()
        {
            long started = Volatile.Read(ref _startedAt);
            return started == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(started);
        }

        /// <summary>The running input is stuck: save it (made again from its number) and stop.</summary>
        public void RecordHang()
        {
            long index = Volatile.Read(ref _current);
            var input = harness.Generate(settings.Seed, index);
            lock (_gate)
            {
                Add("hang", "hang", $"no result after {settings.InputTimeout.TotalSeconds:F0} s", index, input);
                _stoppedEarly = $"input {index} hangs; its thread is abandoned";
            }
        }

        /// <summary>Counts another occurrence of a finding already seen; false if it is new.</summary>
        private bool CountIfKnown(string signature)
        {
            if (!_findings.TryGetValue(signature, out var known)) return false;
            known.Occurrences++;
            return true;
        }

        /// <summary>The harness's shrunk version of a failing input, if it makes one. A minimiser that
        /// fails must not lose the finding: its error becomes the note.</summary>
        private MinimizedInput? Minimize(FuzzInput input, long index)
        {
            if (harness is not IMinimizingHarness minimizing) return null;
            settings.Progress?.WriteLine($"{harness.Name}: minimising the finding at input {index}");
            try
            {
                return minimizing.Minimize(input);
            }
            catch (Exception e)
            {
                return new MinimizedInput(input.Data, $"the minimiser failed; this is the input unchanged:{Environment.NewLine}{e}");
            }
        }

        private void Add(string kind, string signature, string description, long index, FuzzInput input, MinimizedInput? minimized = null)
        {
            if (CountIfKnown(signature)) return;
            var finding = new Finding
            {
                Kind = kind, Signature = signature, Index = index, Generator = input.Generator, Description = description,
                MinimizedNote = minimized?.Note,
            };
            _findings.Add(signature, finding);
            FindingStore.Save(harness, settings.Seed, finding, input, settings.FindingsDirectory, minimized);
            if (_findings.Count >= settings.MaxDistinctFindings)
                _stoppedEarly ??= $"{_findings.Count} distinct findings";
        }

        public string ProgressLine()
        {
            long done = Interlocked.Read(ref _done);
            double seconds = Clock.Elapsed.TotalSeconds;
            int findings;
            lock (_gate) findings = _findings.Count;
            return string.Create(CultureInfo.InvariantCulture,
                $"{harness.Name}: {seconds,6:F0} s  {done,12:N0} inputs  {done / Math.Max(seconds, 0.001),8:N0}/s  {findings} finding(s)");
        }

        public FuzzReport Report()
        {
            lock (_gate)
            {
                return new FuzzReport
                {
                    Harness = harness.Name,
                    Seed = settings.Seed,
                    Start = settings.Start,
                    Inputs = Interlocked.Read(ref _done),
                    Elapsed = Clock.Elapsed,
                    Findings = _findings.Values.OrderBy(f => f.Index).ToArray(),
                    Outcomes = new Dictionary<string, long>(_outcomes, StringComparer.Ordinal),
                    StoppedEarly = _stoppedEarly,
                };
            }
        }
    }
}
