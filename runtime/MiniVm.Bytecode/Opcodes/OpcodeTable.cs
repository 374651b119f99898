namespace MiniVm.Bytecode.Opcodes;

/// <summary>
/// The one opcode table. Every stage reads it: the code generator for sizes and stack
/// effects, the verifier for argument kinds and control flow, the disassembler for names,
/// the interpreter and JIT for what they must handle (a test checks each has a handler for
/// every row).
/// </summary>
public static class OpcodeTable
{
    /// <summary>Opcodes at or above this number carry an argument (CPython's HAVE_ARGUMENT).</summary>
    public const int HaveArgument = 90;

    private static readonly OpInfo[] Rows =
    [
        //  opcode                  mnemonic                argument                pops pushes flow                  pops-on-jump
        new(OpCode.PopTop,          "POP_TOP",              ArgKind.None,           1, 0, FlowKind.Next),
        new(OpCode.RotTwo,          "ROT_TWO",              ArgKind.None,           2, 2, FlowKind.Next),
        new(OpCode.DupTop,          "DUP_TOP",              ArgKind.None,           1, 2, FlowKind.Next),
        new(OpCode.UnaryNegative,   "UNARY_NEGATIVE",       ArgKind.None,           1, 1, FlowKind.Next),
        new(OpCode.UnaryNot,        "UNARY_NOT",            ArgKind.None,           1, 1, FlowKind.Next),
        new(OpCode.BinaryMultiply,  "BINARY_MULTIPLY",      ArgKind.None,           2, 1, FlowKind.Next),
        new(OpCode.BinaryDivide,    "BINARY_DIVIDE",        ArgKind.None,           2, 1, FlowKind.Next),
        new(OpCode.BinaryModulo,    "BINARY_MODULO",        ArgKind.None,           2, 1, FlowKind.Next),
        new(OpCode.BinaryAdd,       "BINARY_ADD",           ArgKind.None,           2, 1, FlowKind.Next),
        new(OpCode.BinarySubtract,  "BINARY_SUBTRACT",      ArgKind.None,           2, 1, FlowKind.Next),
        new(OpCode.PrintExpr,       "PRINT_EXPR",           ArgKind.None,           1, 0, FlowKind.Next),
        new(OpCode.ReturnValue,     "RETURN_VALUE",         ArgKind.None,           1, 0, FlowKind.Return),
        new(OpCode.StoreGlobal,     "STORE_GLOBAL",         ArgKind.Global,         1, 0, FlowKind.Next),
        new(OpCode.LoadConst,       "LOAD_CONST",           ArgKind.Const,          0, 1, FlowKind.Next),
        new(OpCode.CompareOp,       "COMPARE_OP",           ArgKind.Compare,        2, 1, FlowKind.Next),
        new(OpCode.JumpForward,     "JUMP_FORWARD",         ArgKind.JumpRelative,   0, 0, FlowKind.Jump),
        new(OpCode.JumpIfFalseOrPop,"JUMP_IF_FALSE_OR_POP", ArgKind.JumpAbsolute,   1, 0, FlowKind.ConditionalJump, PopsOnJump: 0),
        new(OpCode.JumpIfTrueOrPop, "JUMP_IF_TRUE_OR_POP",  ArgKind.JumpAbsolute,   1, 0, FlowKind.ConditionalJump, PopsOnJump: 0),
        new(OpCode.JumpAbsolute,    "JUMP_ABSOLUTE",        ArgKind.JumpAbsolute,   0, 0, FlowKind.Jump),
        new(OpCode.PopJumpIfFalse,  "POP_JUMP_IF_FALSE",    ArgKind.JumpAbsolute,   1, 0, FlowKind.ConditionalJump, PopsOnJump: 1),
        new(OpCode.PopJumpIfTrue,   "POP_JUMP_IF_TRUE",     ArgKind.JumpAbsolute,   1, 0, FlowKind.ConditionalJump, PopsOnJump: 1),
        new(OpCode.LoadGlobal,      "LOAD_GLOBAL",          ArgKind.Global,         0, 1, FlowKind.Next),
        new(OpCode.LoadFast,        "LOAD_FAST",            ArgKind.Local,          0, 1, FlowKind.Next),
        new(OpCode.StoreFast,       "STORE_FAST",           ArgKind.Local,          1, 0, FlowKind.Next),
        new(OpCode.CallFunction,    "CALL_FUNCTION",        ArgKind.Function,      -1, 1, FlowKind.Next),
        new(OpCode.ExtendedArg,     "EXTENDED_ARG",         ArgKind.Extended,       0, 0, FlowKind.Next),
        new(OpCode.CallBuiltin,     "CALL_BUILTIN",         ArgKind.Builtin,       -1, 1, FlowKind.Next),
        new(OpCode.RequireBool,     "REQUIRE_BOOL",         ArgKind.BoolOperator,   1, 1, FlowKind.Next),
    ];

    private static readonly OpInfo?[] ByNumber = BuildIndex();

    private static OpInfo?[] BuildIndex()
    {
        var index = new OpInfo?[256];
        foreach (var row in Rows)
        {
            if (index[(byte)row.Code] is not null)
                throw new InvalidOperationException($"opcode {(byte)row.Code} has two rows");
            if (row.HasArgument != (row.Arg != ArgKind.None))
                throw new InvalidOperationException($"{row.Name}: argument kind disagrees with HAVE_ARGUMENT");
            index[(byte)row.Code] = row;
        }
        return index;
    }

    /// <summary>Every opcode, in numeric order.</summary>
    public static IReadOnlyList<OpInfo> All => Rows;

    /// <summary>The row for an opcode byte, or null if no opcode has that number.</summary>
    public static OpInfo? Lookup(byte opcode) => ByNumber[opcode];

    /// <summary>The row for an opcode.</summary>
    public static OpInfo Info(OpCode opcode) => ByNumber[(byte)opcode] ?? throw new ArgumentOutOfRangeException(nameof(opcode));

    /// <summary>
    /// The stack effect on the fall-through path: how many values the instruction pops and pushes.
    /// Calls pop as many values as the callee takes: a function's parameter count, or the argument
    /// count encoded in CALL_BUILTIN's argument.
    /// </summary>
    public static (int Pops, int Pushes) StackEffect(OpInfo info, int arg, Func<int, int> functionParamCount)
    {
        return info.Code switch
        {
            OpCode.CallFunction => (functionParamCount(arg), 1),
            OpCode.CallBuiltin => (BuiltinInfo.DecodeCall(arg).Argc, 1),
            _ => (info.Pops, info.Pushes),
        };
    }
}
