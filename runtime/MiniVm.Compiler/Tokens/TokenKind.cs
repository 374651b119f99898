namespace MiniVm.Compiler.Tokens;

public enum TokenKind
{
    EndOfFile,
    Integer,
    Float,
    String,
    Identifier,

    // Keywords.
    Fn, Let, If, Else, While, Break, Continue, Return, And, Or, Not, True, False, None,

    // Operators and punctuation.
    Plus, Minus, Star, Slash, Percent,
    EqualEqual, BangEqual, Less, LessEqual, Greater, GreaterEqual,
    Equal, LeftParen, RightParen, LeftBrace, RightBrace, Comma, Semicolon,
}

public static class TokenKindText
{
    /// <summary>How a token kind reads in "expected X" diagnostics.</summary>
    public static string Describe(TokenKind kind) => kind switch
    {
        TokenKind.EndOfFile => "end of file",
        TokenKind.Integer => "integer",
        TokenKind.Float => "float",
        TokenKind.String => "string",
        TokenKind.Identifier => "identifier",
        TokenKind.Plus => "'+'",
        TokenKind.Minus => "'-'",
        TokenKind.Star => "'*'",
        TokenKind.Slash => "'/'",
        TokenKind.Percent => "'%'",
        TokenKind.EqualEqual => "'=='",
        TokenKind.BangEqual => "'!='",
        TokenKind.Less => "'<'",
        TokenKind.LessEqual => "'<='",
        TokenKind.Greater => "'>'",
        TokenKind.GreaterEqual => "'>='",
        TokenKind.Equal => "'='",
        TokenKind.LeftParen => "'('",
        TokenKind.RightParen => "')'",
        TokenKind.LeftBrace => "'{'",
        TokenKind.RightBrace => "'}'",
        TokenKind.Comma => "','",
        TokenKind.Semicolon => "';'",
        _ => $"'{kind.ToString().ToLowerInvariant()}'",
    };

    public static readonly IReadOnlyDictionary<string, TokenKind> Keywords = new Dictionary<string, TokenKind>(StringComparer.Ordinal)
    {
        ["fn"] = TokenKind.Fn,
        ["let"] = TokenKind.Let,
        ["if"] = TokenKind.If,
        ["else"] = TokenKind.Else,
        ["while"] = TokenKind.While,
        ["break"] = TokenKind.Break,
        ["continue"] = TokenKind.Continue,
        ["return"] = TokenKind.Return,
        ["and"] = TokenKind.And,
        ["or"] = TokenKind.Or,
        ["not"] = TokenKind.Not,
        ["true"] = TokenKind.True,
        ["false"] = TokenKind.False,
        ["none"] = TokenKind.None,
    };
}
