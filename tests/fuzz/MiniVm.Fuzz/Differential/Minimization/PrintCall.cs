namespace MiniVm.Fuzz.Differential.Minimization;

/// <summary>A line that is one <c>print(a, b, ...);</c> statement, split into its arguments at the
/// commas outside parentheses and strings, so the minimiser can drop some of them.</summary>
internal sealed record PrintCall(string Indent, IReadOnlyList<string> Arguments)
{
    private const string Head = "print(";
    private const string Tail = ");";

    public static PrintCall? Parse(string line)
    {
        string trimmed = line.TrimStart();
        string body = trimmed.TrimEnd();
        if (!body.StartsWith(Head, StringComparison.Ordinal) || !body.EndsWith(Tail, StringComparison.Ordinal)) return null;
        string inside = body[Head.Length..^Tail.Length];
        var arguments = new List<string>();
        int depth = 0, from = 0;
        bool inString = false;
        for (int i = 0; i < inside.Length; i++)
        {
            char c = inside[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            switch (c)
            {
                case '"': inString = true; break;
                case '(': depth++; break;
                case ')':
                    if (--depth < 0) return null; // `print(a) + (b);` is not one call
                    break;
                case ',' when depth == 0:
                    arguments.Add(inside[from..i].Trim());
                    from = i + 1;
                    break;
            }
        }
        if (depth != 0 || inString) return null;
        if (inside.Trim().Length > 0) arguments.Add(inside[from..].Trim());
        return new PrintCall(line[..(line.Length - trimmed.Length)], arguments);
    }

    /// <summary>The statement with only <paramref name="arguments"/>.</summary>
    public string With(IEnumerable<string> arguments) => $"{Indent}{Head}{string.Join(", ", arguments)}{Tail}";
}
