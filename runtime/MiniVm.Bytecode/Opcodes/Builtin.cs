namespace MiniVm.Bytecode.Opcodes;

/// <summary>The builtin functions, by the id CALL_BUILTIN carries in its low 8 bits.</summary>
public enum BuiltinId : byte
{
    Print = 0,
    Sqrt = 1,
    Abs = 2,
    Min = 3,
    Max = 4,
    Int = 5,
    Float = 6,
    Str = 7,
}

/// <summary>A builtin's name and the argument counts it accepts.</summary>
public sealed record BuiltinInfo(BuiltinId Id, string Name, int MinArgs, int MaxArgs)
{
    /// <summary>The largest argument count CALL_BUILTIN can carry.</summary>
    public const int MaxArgumentCount = 255;

    public bool Accepts(int argc) => argc >= MinArgs && argc <= MaxArgs;

    /// <summary>How the arity reads in a diagnostic: "1", "2", "any number of".</summary>
    public string ArityText => MaxArgs == MaxArgumentCount ? $"at most {MaxArgumentCount}" : MinArgs == MaxArgs ? MinArgs.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{MinArgs} to {MaxArgs}";

    private static readonly BuiltinInfo[] All =
    [
        new(BuiltinId.Print, "print", 0, MaxArgumentCount),
        new(BuiltinId.Sqrt, "sqrt", 1, 1),
        new(BuiltinId.Abs, "abs", 1, 1),
        new(BuiltinId.Min, "min", 2, 2),
        new(BuiltinId.Max, "max", 2, 2),
        new(BuiltinId.Int, "int", 1, 1),
        new(BuiltinId.Float, "float", 1, 1),
        new(BuiltinId.Str, "str", 1, 1),
    ];

    /// <summary>Every builtin, indexed by id.</summary>
    public static IReadOnlyList<BuiltinInfo> Table => All;

    public static BuiltinInfo? ById(int id) => (uint)id < (uint)All.Length ? All[id] : null;

    public static BuiltinInfo? ByName(string name)
    {
        foreach (var b in All)
            if (b.Name == name) return b;
        return null;
    }

    /// <summary>Encodes a CALL_BUILTIN argument.</summary>
    public static int EncodeCall(BuiltinId id, int argc) => (int)id | (argc << 8);

    /// <summary>Decodes a CALL_BUILTIN argument.</summary>
    public static (int Id, int Argc) DecodeCall(int arg) => (arg & 0xFF, arg >> 8);
}
