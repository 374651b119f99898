namespace MiniVm.Compiler.Diagnostics;

/// <summary>
/// Every diagnostic the compiler reports, with its stable code. Codes never change meaning
/// once shipped: build logs, docs and users' suppressions refer to them.
/// 1xxx: tokens · 2xxx: syntax · 3xxx: names and calls · 4xxx: limits of the bytecode format.
/// </summary>
public static class DiagnosticCode
{
    public const string UnexpectedCharacter = "MVM1001";
    public const string UnterminatedString = "MVM1002";
    public const string InvalidEscape = "MVM1003";
    public const string IntegerTooLarge = "MVM1004";
    public const string MalformedNumber = "MVM1005";

    public const string UnexpectedToken = "MVM2001";
    public const string NestedTooDeeply = "MVM2002";
    public const string FunctionNotAtTopLevel = "MVM2003";

    public const string UndeclaredName = "MVM3001";
    public const string DuplicateVariable = "MVM3002";
    public const string DuplicateFunction = "MVM3003";
    public const string DuplicateParameter = "MVM3004";
    public const string UnknownFunction = "MVM3005";
    public const string WrongArgumentCount = "MVM3006";
    public const string ReturnOutsideFunction = "MVM3007";
    public const string BreakOutsideLoop = "MVM3008";
    public const string ContinueOutsideLoop = "MVM3009";
    public const string FunctionIsNotAValue = "MVM3010";
    public const string VariableIsNotAFunction = "MVM3011";

    public const string TooLarge = "MVM4001";
}
