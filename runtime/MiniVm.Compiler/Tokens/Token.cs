using MiniVm.Compiler.Source;

namespace MiniVm.Compiler.Tokens;

/// <summary>A token: its kind, where it starts, its source text, and the value of a literal.</summary>
public readonly record struct Token(TokenKind Kind, Position Start, string Text, long IntValue = 0, double FloatValue = 0, string? StringValue = null)
{
    /// <summary>How the token reads in a diagnostic.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.EndOfFile => "end of file",
        TokenKind.Identifier => $"identifier '{Text}'",
        TokenKind.Integer or TokenKind.Float => $"number '{Text}'",
        TokenKind.String => "string literal",
        _ => $"'{Text}'",
    };
}
