namespace MiniVm.Fuzz.Loader;

/// <summary>
/// Sorts load errors into a few kinds for a run's outcome counts, so a run shows how deep its
/// inputs get (rejected at the magic number, in the reader, or by which verifier rule).
/// Constant strings: the label is made inside the measured allocation.
/// </summary>
internal static class LoadErrorKind
{
    private static readonly (string Phrase, string Kind)[] ReaderKinds =
    [
        ("not a MiniVm bytecode file", "rejected: magic number"),
        ("unsupported format version", "rejected: format version"),
        ("exceeds the limit of", "rejected: cap"),
        ("truncated", "rejected: truncated"),
        ("unknown form tag", "rejected: tag"),
        ("unknown constant tag", "rejected: tag"),
        ("expected ", "rejected: tag"),
        ("not valid UTF-8", "rejected: UTF-8"),
        ("after the end of the module", "rejected: trailing bytes"),
        ("line table", "rejected: line table"),
        ("seed code", "rejected: seed code"),
        ("out of range", "rejected: out of range"),
    ];

    private static readonly (string Phrase, string Kind)[] VerifierKinds =
    [
        ("stack underflow", "verifier: stack underflow"),
        ("stack overflow", "verifier: stack overflow"),
        ("stack depth at offset", "verifier: stack depth merge"),
        ("runs off the end", "verifier: runs off the end"),
        ("jumps to", "verifier: jump target"),
        ("unknown opcode", "verifier: unknown opcode"),
        ("missing its argument", "verifier: truncated instruction"),
        ("EXTENDED_ARG", "verifier: EXTENDED_ARG"),
        ("argument", "verifier: argument out of range"),
        ("there are", "verifier: argument out of range"),
        ("builtin", "verifier: builtin"),
        ("cannot take", "verifier: builtin"),
        ("unknown comparison", "verifier: argument out of range"),
        ("unknown operator", "verifier: argument out of range"),
        ("line", "verifier: line table"),
        ("local", "verifier: counts"),
        ("parameters", "verifier: counts"),
        ("stack depth", "verifier: counts"),
        ("empty", "verifier: empty code"),
        ("no name", "verifier: no name"),
    ];

    public static string Of(string detail)
    {
        if (detail.StartsWith("verification failed", StringComparison.Ordinal))
        {
            foreach (var (phrase, kind) in VerifierKinds)
                if (detail.Contains(phrase, StringComparison.Ordinal)) return kind;
            return "verifier: other";
        }
        foreach (var (phrase, kind) in ReaderKinds)
            if (detail.Contains(phrase, StringComparison.Ordinal)) return kind;
        return "rejected: other";
    }
}
