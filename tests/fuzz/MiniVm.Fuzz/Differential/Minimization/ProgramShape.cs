namespace MiniVm.Fuzz.Differential.Minimization;

/// <summary>
/// A removable piece of a program: one line (a statement), or a braced construct from its
/// opening line to the line that closes it (an <c>if</c> with all its <c>else</c> branches, a
/// <c>while</c>, a <c>fn</c>). Lines are indexes into the program's line array, end exclusive.
/// </summary>
internal sealed class Unit(int start, int end, IReadOnlyList<Branch> branches)
{
    public int Start { get; } = start;
    public int End { get; } = end;

    /// <summary>The blocks of a braced construct (one for <c>while</c> and <c>fn</c>, one per branch
    /// of an <c>if</c> chain); empty for a one-line statement.</summary>
    public IReadOnlyList<Branch> Branches { get; } = branches;

    public bool IsBlock => Branches.Count > 0;
}

/// <summary>One block of a braced construct: its header line (<c>if c {</c>, <c>} else {</c>) and
/// the units of its body, which run from the line after the header to <see cref="BodyEnd"/>.</summary>
internal sealed class Branch(int header, int bodyEnd, IReadOnlyList<Unit> body)
{
    public int Header { get; } = header;
    public int BodyEnd { get; } = bodyEnd;
    public IReadOnlyList<Unit> Body { get; } = body;
}

/// <summary>
/// Finds the units of a program by counting braces per line (outside strings and comments).
/// That is all the structure the minimiser needs, and it needs no parser: the differential
/// generator writes one statement per line and puts every <c>{</c> at the end of a line and every
/// <c>}</c> that closes a multi-line block at the start of one. Lines that do not fit (a brace that
/// closes more than it opens, say) become one-line units, which simply never remove cleanly.
/// </summary>
internal static class ProgramShape
{
    /// <summary>The top-level units of <paramref name="lines"/>; comment lines at the very top
    /// (the header: seed, step budget) are never part of one, so they always stay.</summary>
    public static IReadOnlyList<Unit> Parse(IReadOnlyList<string> lines)
    {
        int start = 0;
        while (start < lines.Count && lines[start].TrimStart().StartsWith('#')) start++;
        return Units(lines, start, lines.Count);
    }

    private static List<Unit> Units(IReadOnlyList<string> lines, int start, int end)
    {
        var units = new List<Unit>();
        int i = start;
        while (i < end)
        {
            var (opens, closes) = Braces(lines[i]);
            if (closes > 0 || opens != 1 || !TryBlock(lines, i, end, out var block))
            {
                units.Add(new Unit(i, i + 1, []));
                i++;
                continue;
            }
            units.Add(block);
            i = block.End;
        }
        return units;
    }

    /// <summary>The construct opened by line <paramref name="first"/> (one <c>{</c> more than it has
    /// <c>}</c>, none before it): its branches, split at lines like <c>} else {</c>, up to the line
    /// that brings the depth back to zero.</summary>
    private static bool TryBlock(IReadOnlyList<string> lines, int first, int end, out Unit block)
    {
        block = null!;
        var branches = new List<Branch>();
        int header = first, depth = 1;
        for (int i = first + 1; i < end; i++)
        {
            var (opens, closes) = Braces(lines[i]);
            if (depth == 1 && closes == 1 && opens <= 1 && lines[i].TrimStart().StartsWith('}'))
            {
                branches.Add(new Branch(header, i, Units(lines, header + 1, i)));
                if (opens == 0)
                {
                    block = new Unit(first, i + 1, branches);
                    return true;
                }
                header = i; // `} else {`, `} else if c {`: the next branch starts here
                continue;
            }
            depth += opens - closes;
            if (depth <= 0) return false; // closed in an unexpected place: not a shape we shrink
        }
        return false;
    }

    /// <summary>The braces of a line outside string literals and comments.</summary>
    internal static (int Opens, int Closes) Braces(string line)
    {
        int opens = 0, closes = 0;
        bool inString = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '#') break;
            if (c == '"') inString = true;
            else if (c == '{') opens++;
            else if (c == '}') closes++;
        }
        return (opens, closes);
    }
}
