using System.Globalization;
using System.Text;
using MiniVm.Compiler.Diagnostics;
using MiniVm.Compiler.Source;

namespace MiniVm.Compiler.Tokens;

/// <summary>
/// Turns source text into tokens. A bad character, string or number is reported and skipped,
/// so one compile reports every lexical error and the parser still sees the rest of the file.
/// </summary>
internal sealed class Lexer
{
    private readonly string _text;
    private readonly DiagnosticBag _diagnostics;
    private int _pos;
    private int _line = 1;
    private int _lineStart;

    private Lexer(string text, DiagnosticBag diagnostics)
    {
        _text = text;
        _diagnostics = diagnostics;
    }

    public static List<Token> Tokenize(string text, DiagnosticBag diagnostics)
    {
        var lexer = new Lexer(text, diagnostics);
        var tokens = new List<Token>(text.Length / 3 + 1);
        while (true)
        {
            var token = lexer.Next();
            tokens.Add(token);
            if (token.Kind == TokenKind.EndOfFile) return tokens;
        }
    }

    private Position Here => new(_line, _pos - _lineStart + 1);

    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private Token Next()
    {
        while (true)
        {
            SkipTrivia();
            if (_pos >= _text.Length) return new Token(TokenKind.EndOfFile, Here, "");
            var start = Here;
            int begin = _pos;
            char c = _text[_pos];
            if (IsIdentifierStart(c)) return Identifier(start, begin);
            // A bad literal is reported and still returned as a token, so the parser does not
            // add a cascade of syntax errors after it.
            if (char.IsAsciiDigit(c)) return Number(start, begin);
            if (c == '"') return StringLiteral(start, begin);
            _pos++;
            TokenKind? kind = c switch
            {
                '+' => TokenKind.Plus,
                '-' => TokenKind.Minus,
                '*' => TokenKind.Star,
                '/' => TokenKind.Slash,
                '%' => TokenKind.Percent,
                '(' => TokenKind.LeftParen,
                ')' => TokenKind.RightParen,
                '{' => TokenKind.LeftBrace,
                '}' => TokenKind.RightBrace,
                ',' => TokenKind.Comma,
                ';' => TokenKind.Semicolon,
                '=' => Match('=') ? TokenKind.EqualEqual : TokenKind.Equal,
                '<' => Match('=') ? TokenKind.LessEqual : TokenKind.Less,
                '>' => Match('=') ? TokenKind.GreaterEqual : TokenKind.Greater,
                '!' => Match('=') ? TokenKind.BangEqual : null,
                _ => null,
            };
            if (kind is { } k) return new Token(k, start, _text[begin.._pos]);
            ReportUnexpected(start, c);
        }
    }

    private void ReportUnexpected(Position at, char c)
    {
        string shown = c switch
        {
            '!' => "'!' (use 'not' for negation, '!=' for inequality)",
            _ when char.IsControl(c) => $"U+{(int)c:X4}",
            _ when char.IsHighSurrogate(c) && _pos < _text.Length && char.IsLowSurrogate(_text[_pos]) => $"'{c}{_text[_pos++]}'",
            _ => $"'{c}'",
        };
        _diagnostics.Error(at, DiagnosticCode.UnexpectedCharacter, $"unexpected character {shown}");
    }

    private bool Match(char expected)
    {
        if (Peek() != expected) return false;
        _pos++;
        return true;
    }

    private void SkipTrivia()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '\n')
            {
                _pos++;
                _line++;
                _lineStart = _pos;
            }
            else if (c is ' ' or '\t' or '\r')
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n') _pos++;
            }
            else
            {
                return;
            }
        }
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private Token Identifier(Position start, int begin)
    {
        while (_pos < _text.Length && IsIdentifierPart(_text[_pos])) _pos++;
        string text = _text[begin.._pos];
        var kind = TokenKindText.Keywords.TryGetValue(text, out var keyword) ? keyword : TokenKind.Identifier;
        return new Token(kind, start, text);
    }

    /// <summary>
    /// <c>digits</c>, <c>digits.digits[exp]</c> or <c>digits exp</c>. <c>1.</c> is the integer 1
    /// followed by a stray '.', which the caller reports; a letter or digit run glued to the
    /// number (<c>12abc</c>, <c>1e</c>) makes the whole run one malformed number.
    /// </summary>
    private Token Number(Position start, int begin)
    {
        while (char.IsAsciiDigit(Peek())) _pos++;
        bool isFloat = false;
        if (Peek() == '.' && char.IsAsciiDigit(Peek(1)))
        {
            isFloat = true;
            _pos++;
            while (char.IsAsciiDigit(Peek())) _pos++;
        }
        bool malformed = false;
        if (Peek() is 'e' or 'E')
        {
            isFloat = true;
            _pos++;
            if (Peek() is '+' or '-') _pos++;
            if (!char.IsAsciiDigit(Peek())) malformed = true;
            while (char.IsAsciiDigit(Peek())) _pos++;
        }
        if (IsIdentifierPart(Peek()))
        {
            malformed = true;
            while (IsIdentifierPart(Peek())) _pos++;
        }
        string text = _text[begin.._pos];
        if (malformed)
        {
            _diagnostics.Error(start, DiagnosticCode.MalformedNumber, $"malformed number '{text}'");
            return new Token(TokenKind.Integer, start, text);
        }
        if (isFloat)
        {
            // IEEE rounding to nearest; literals beyond the double range read as inf, as in Python.
            double value = double.Parse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
            return new Token(TokenKind.Float, start, text, FloatValue: value);
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long integer))
        {
            _diagnostics.Error(start, DiagnosticCode.IntegerTooLarge, $"integer literal {text} does not fit in a 64-bit signed integer");
            return new Token(TokenKind.Integer, start, text, IntValue: 0);
        }
        return new Token(TokenKind.Integer, start, text, IntValue: integer);
    }

    private Token StringLiteral(Position start, int begin)
    {
        _pos++; // opening quote
        var value = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                _diagnostics.Error(start, DiagnosticCode.UnterminatedString, "unterminated string literal (strings end on the line they start)");
                return new Token(TokenKind.String, start, _text[begin.._pos], StringValue: value.ToString());
            }
            char c = _text[_pos];
            if (c == '"')
            {
                _pos++;
                break;
            }
            if (c == '\\')
            {
                var escapeAt = Here;
                _pos++;
                char e = Peek();
                switch (e)
                {
                    case 'n': value.Append('\n'); _pos++; break;
                    case 't': value.Append('\t'); _pos++; break;
                    case '"': value.Append('"'); _pos++; break;
                    case '\\': value.Append('\\'); _pos++; break;
                    default:
                        string shown = e is '\0' or '\n' or '\r' ? "at the end of the line" : $"'\\{e}'";
                        _diagnostics.Error(escapeAt, DiagnosticCode.InvalidEscape, $"invalid escape sequence {shown} (allowed: \\n \\t \\\" \\\\)");
                        if (e is not ('\0' or '\n' or '\r')) _pos++;
                        break;
                }
                continue;
            }
            value.Append(c);
            _pos++;
        }
        return new Token(TokenKind.String, start, _text[begin.._pos], StringValue: value.ToString());
    }
}
