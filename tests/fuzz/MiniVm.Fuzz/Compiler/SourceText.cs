using System.Text;
using System.Text.RegularExpressions;
using MiniVm.Fuzz.Engine;

namespace MiniVm.Fuzz.Compiler;

/// <summary>
/// Token lists to source text and back, random token streams and random characters, and the
/// corruptions applied to otherwise valid programs: token edits (delete, duplicate, swap,
/// insert, replace, cut) and character edits.
/// </summary>
public static partial class SourceText
{
    /// <summary>Keywords, names, literals good and bad, operators, and characters the language does not have.</summary>
    public static readonly string[] Lexicon =
    [
        "fn", "let", "if", "else", "while", "break", "continue", "return", "and", "or", "not", "true", "false", "none",
        "x", "y", "f", "g", "_", "print", "sqrt", "abs", "min", "max", "int", "float", "str",
        "0", "1", "42", "9223372036854775807", "9223372036854775808", "99999999999999999999999", "1.5", "1e9", "2.5e-3", "1e400",
        "1.", ".5", "12abc", "1e", "1e+", "0x10", "\"s\"", "\"a\\nb\"", "\"bad\\q\"", "\"open", "\"\\", "\"\"",
        "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "=", "!", "(", ")", "{", "}", ",", ";",
        "#c\n", "\n", "@", ".", "$", "`", "'", "[", "]", "\u00e9", "\u4e2d", "\U0001F600", "\0", "\r", "\t",
    ];

    private const string Alphabet = "fnletwhilreturnxy_0123456789.eE+-*/%=<>!(){},;\"\\# \n\t\r\u00e9\u4e2d\0@";

    [GeneratedRegex("""
        "(?:\\.|[^"\\\n])*"? | \#[^\n]* | [A-Za-z_][A-Za-z0-9_]* | [0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)? | [=!<>]= | \s+ | .
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.Singleline)]
    private static partial Regex TokenPattern();

    /// <summary>Tokens joined by whitespace: mostly spaces, some line breaks, now and then a comment.</summary>
    public static string Join(IReadOnlyList<string> tokens, FuzzRandom random)
    {
        var text = new StringBuilder();
        foreach (string token in tokens)
        {
            text.Append(token);
            int gap = random.Next(40);
            text.Append(gap switch { 0 => " # note\n", < 8 => "\n", 8 => "\t", _ => " " });
        }
        return text.ToString();
    }

    /// <summary>Existing source (a corpus program) as tokens, whitespace and comments kept, so joining them gives the text back.</summary>
    public static List<string> Split(string source) => TokenPattern().Matches(source).Select(m => m.Value).ToList();

    public static List<string> RandomTokens(FuzzRandom random)
    {
        var tokens = new List<string>();
        for (int i = random.Next(1, 80); i > 0; i--) tokens.Add(random.Pick(Lexicon));
        return tokens;
    }

    public static string RandomCharacters(FuzzRandom random)
    {
        var text = new char[random.Next(0, 120)];
        for (int i = 0; i < text.Length; i++) text[i] = Alphabet[random.Next(Alphabet.Length)];
        return new string(text);
    }

    /// <summary>One to three token edits.</summary>
    public static void CorruptTokens(List<string> tokens, FuzzRandom random)
    {
        for (int edits = random.SmallCount(3); edits > 0; edits--)
        {
            if (tokens.Count == 0)
            {
                tokens.Add(random.Pick(Lexicon));
                continue;
            }
            int at = random.Next(tokens.Count);
            switch (random.Next(7))
            {
                case 0: tokens.RemoveAt(at); break;
                case 1: tokens.Insert(at, tokens[at]); break;
                case 2 when at + 1 < tokens.Count: (tokens[at], tokens[at + 1]) = (tokens[at + 1], tokens[at]); break;
                case 3: tokens.Insert(at, random.Pick(Lexicon)); break;
                case 4: tokens[at] = random.Pick(Lexicon); break;
                case 5: tokens.RemoveRange(at, tokens.Count - at); break;
                default: tokens.Insert(at, tokens[random.Next(tokens.Count)]); break;
            }
        }
    }

    /// <summary>One to three character edits: a character deleted, inserted or replaced, or the text cut short.</summary>
    public static string CorruptCharacters(string text, FuzzRandom random)
    {
        var chars = new StringBuilder(text);
        for (int edits = random.SmallCount(3); edits > 0; edits--)
        {
            int at = random.Next(chars.Length + 1);
            char c = Alphabet[random.Next(Alphabet.Length)];
            switch (random.Next(4))
            {
                case 0 when at < chars.Length: chars.Remove(at, 1); break;
                case 1: chars.Insert(at, c); break;
                case 2 when at < chars.Length: chars[at] = c; break;
                case 3: chars.Length = at; break;
            }
        }
        return chars.ToString();
    }
}
