using System.Diagnostics;
using System.Text;

namespace MiniVm.Fuzz.Differential.Minimization;

/// <summary>
/// Shrinks a program while a test keeps saying it is interesting (for the differential harness:
/// it compiles and two modes still disagree). Delta debugging in the manner of Zeller's ddmin and
/// of hierarchical delta debugging: the program's statements and braced constructs
/// (<see cref="ProgramShape"/>) are removed in chunks of halving size, top level first, then inside
/// each construct that is left; a construct is also replaced by the body of one of its branches
/// (an <c>if</c> by its <c>then</c> block, a <c>while</c> by its body); then the arguments of each
/// <c>print</c> are thinned the same way. The passes repeat until none removes anything, or the
/// test or time limit is reached (then the smallest program so far is the result).
/// <para>The test decides everything: a candidate that does not compile, or no longer shows the
/// difference, is simply not taken. So the result always passes the test, and every step of the
/// way only ever removes text.</para>
/// </summary>
public sealed class ProgramMinimizer
{
    private readonly Func<string, bool> _interesting;
    private readonly int _maxTests;
    private readonly TimeSpan _timeLimit;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _trailingNewline;

    private ProgramMinimizer(Func<string, bool> interesting, int maxTests, TimeSpan timeLimit)
    {
        _interesting = interesting;
        _maxTests = maxTests;
        _timeLimit = timeLimit;
    }

    /// <summary>What minimising did: the program, how many candidates were tested, and whether a limit cut it short.</summary>
    public sealed record Result(string Program, int LinesBefore, int LinesAfter, int Tests, bool Exhausted);

    public int Tests { get; private set; }

    private bool OutOfBudget => Tests >= _maxTests || _clock.Elapsed >= _timeLimit;

    /// <param name="program">A program <paramref name="interesting"/> returns true for (if it does not, it is returned unchanged).</param>
    /// <param name="interesting">The test; it must be deterministic.</param>
    public static Result Minimize(string program, Func<string, bool> interesting, int maxTests = 3000, TimeSpan? timeLimit = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(interesting);
        var minimizer = new ProgramMinimizer(interesting, maxTests, timeLimit ?? TimeSpan.FromMinutes(3));
        var lines = minimizer.Split(program);
        int before = lines.Count;
        bool changed = true;
        while (changed && !minimizer.OutOfBudget)
        {
            changed = minimizer.RemoveUnits(ref lines);
            changed |= minimizer.ThinPrints(lines);
        }
        bool exhausted = minimizer.OutOfBudget;
        // The body of an unwrapped construct keeps its old indentation; one more test makes it read right.
        var indented = Reindent(lines);
        if (!indented.SequenceEqual(lines) && minimizer.Test(minimizer.Join(indented))) lines = indented;
        return new Result(minimizer.Join(lines), before, lines.Count, minimizer.Tests, exhausted);
    }

    /// <summary>Four spaces per open brace, as the generator writes them.</summary>
    private static List<string> Reindent(IReadOnlyList<string> lines)
    {
        var result = new List<string>(lines.Count);
        int depth = 0;
        foreach (string line in lines)
        {
            string text = line.TrimStart();
            var (opens, closes) = ProgramShape.Braces(text);
            int level = text.StartsWith('}') ? depth - 1 : depth;
            result.Add(text.Length == 0 || text.StartsWith('#') ? line : new string(' ', 4 * Math.Max(0, level)) + text);
            depth = Math.Max(0, depth + opens - closes);
        }
        return result;
    }

    private List<string> Split(string program)
    {
        _trailingNewline = program.EndsWith('\n');
        var lines = program.Split('\n').ToList();
        if (_trailingNewline) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    private string Join(IEnumerable<string> lines)
    {
        var text = new StringBuilder();
        foreach (string line in lines) text.Append(line).Append('\n');
        if (!_trailingNewline && text.Length > 0) text.Length--;
        return text.ToString();
    }

    private bool Test(string candidate)
    {
        if (OutOfBudget) return false;
        Tests++;
        return _interesting(candidate);
    }

    // ----- removing statements and constructs -----

    /// <summary>One pass over the program's shape, parsed once: every change is a set of lines
    /// removed, which leaves the shape of what remains valid, so the pass needs no re-parse.</summary>
    private bool RemoveUnits(ref List<string> lines)
    {
        var current = lines;
        var removed = new bool[current.Count];
        bool any = false;
        bool TryRemove(IEnumerable<int> drop)
        {
            var candidate = (bool[])removed.Clone();
            foreach (int line in drop) candidate[line] = true;
            if (!Test(Join(current.Where((_, i) => !candidate[i])))) return false;
            removed = candidate;
            any = true;
            return true;
        }

        ReduceList(ProgramShape.Parse(current), current, TryRemove);
        if (any) lines = current.Where((_, i) => !removed[i]).ToList();
        return any;
    }

    /// <summary>Removes what it can of a list of sibling units, then shrinks the ones left inside.</summary>
    private void ReduceList(IReadOnlyList<Unit> units, List<string> lines, Func<IEnumerable<int>, bool> tryRemove)
    {
        var left = RemoveChunks(units, (chunk, _) => tryRemove(chunk.SelectMany(LinesOf)));
        foreach (var unit in left)
        {
            if (OutOfBudget) return;
            if (!unit.IsBlock) continue;
            var kept = lines[unit.Start].TrimStart().StartsWith("fn ", StringComparison.Ordinal)
                ? unit.Branches // a function's body makes no sense at the top level
                : Unwrap(unit, tryRemove);
            foreach (var branch in kept) ReduceList(branch.Body, lines, tryRemove);
        }
    }

    private static IEnumerable<int> LinesOf(Unit unit) => Enumerable.Range(unit.Start, unit.End - unit.Start);

    /// <summary>Tries to replace a construct by the body of one of its branches. Returns the
    /// branches still in the program.</summary>
    private static IReadOnlyList<Branch> Unwrap(Unit unit, Func<IEnumerable<int>, bool> tryRemove)
    {
        foreach (var branch in unit.Branches)
        {
            int bodyStart = branch.Header + 1;
            if (tryRemove(LinesOf(unit).Where(line => line < bodyStart || line >= branch.BodyEnd)))
                return [branch];
        }
        return unit.Branches;
    }

    /// <summary>Removes chunks of halving size from <paramref name="items"/> while
    /// <paramref name="tryRemove"/> (given the chunk and what would be left) accepts them; returns
    /// what is left.</summary>
    private List<T> RemoveChunks<T>(IReadOnlyList<T> items, Func<IReadOnlyList<T>, IReadOnlyList<T>, bool> tryRemove)
    {
        var left = items.ToList();
        for (int size = Math.Max(1, left.Count / 2); !OutOfBudget; size = Math.Max(1, size / 2))
        {
            for (int start = 0; start < left.Count && !OutOfBudget;)
            {
                int count = Math.Min(size, left.Count - start);
                var rest = left.Take(start).Concat(left.Skip(start + count)).ToList();
                if (tryRemove(left.GetRange(start, count), rest)) left = rest;
                else start += size;
            }
            if (size == 1) break;
        }
        return left;
    }

    // ----- thinning print arguments -----

    /// <summary>Removes arguments of <c>print(...)</c> statements (all of them leaves <c>print();</c>).</summary>
    private bool ThinPrints(List<string> lines)
    {
        bool any = false;
        for (int i = 0; i < lines.Count && !OutOfBudget; i++)
        {
            if (PrintCall.Parse(lines[i]) is not { Arguments.Count: > 0 } print) continue;
            RemoveChunks(print.Arguments, (_, rest) =>
            {
                string saved = lines[i];
                lines[i] = print.With(rest);
                if (Test(Join(lines))) return any = true;
                lines[i] = saved;
                return false;
            });
        }
        return any;
    }
}
