namespace MiniVm.Bytecode.File;

/// <summary>
/// Every size limit a <c>.txtc</c> file is held to, in one place (docs/bytecode.md §2 and
/// docs/security.md list them). Two kinds:
/// <list type="bullet">
/// <item><b>Caps</b> (<c>Default*</c>, and the properties of an instance): what the reader accepts
/// before it builds anything — file size, code bytes, constants and string lengths per block,
/// functions and globals per module. They exist so a hostile file cannot make a host spend
/// memory and time out of proportion to what real programs need; a host may set its own through
/// an instance. The compiler reports a program beyond the defaults as MVM4001, so every file it
/// writes loads.</item>
/// <item><b>Format limits</b> (<see cref="MaxLocals"/>, <see cref="MaxStackDepth"/>,
/// <see cref="MaxParameters"/>): fixed by the instruction encoding and the runtime's frames; the
/// verifier enforces them and no host setting changes them.</item>
/// </list>
/// Defaults are generous for real programs (the largest program in the test corpus uses well
/// under 1% of each) and small enough that loading stays within a small multiple of the file's
/// own size.
/// </summary>
public sealed class LoaderLimits
{
    /// <summary>Largest file, in bytes (256 MiB, the same as the host API's stream limit).</summary>
    public const int DefaultMaxFileSize = 256 * 1024 * 1024;

    /// <summary>Most code bytes in one code block (4 MiB: about 1.4 million instructions). The
    /// verifier allocates up to 8 bytes per code byte of the largest block, and the interpreter's
    /// preparation, when a block is first used, about 28 per instruction (16 of them kept).</summary>
    public const int DefaultMaxCodeSize = 4 * 1024 * 1024;

    /// <summary>Most constants in one code block's pool (2^20; the compiler de-duplicates them).</summary>
    public const int DefaultMaxConstants = 1024 * 1024;

    /// <summary>Longest string in the file, in UTF-8 bytes (16 MiB): string constants and every
    /// name (source name, globals, functions, locals).</summary>
    public const int DefaultMaxStringLength = 16 * 1024 * 1024;

    /// <summary>Most functions in one module (CALL_FUNCTION's index space).</summary>
    public const int DefaultMaxFunctions = 65_535;

    /// <summary>Most globals in one module (LOAD_GLOBAL/STORE_GLOBAL's index space).</summary>
    public const int DefaultMaxGlobals = 65_535;

    /// <summary>Most locals (parameters included), and so local names, in one code block.</summary>
    public const int MaxLocals = 65_535;

    /// <summary>Deepest declared operand stack of one code block.</summary>
    public const int MaxStackDepth = 65_535;

    /// <summary>Most parameters of one function (and arguments of one call).</summary>
    public const int MaxParameters = 255;

    /// <summary>The defaults: what <see cref="TxtcReader"/> uses unless told otherwise.</summary>
    public static LoaderLimits Default { get; } = new();

    private readonly int _maxFileSize = DefaultMaxFileSize;
    private readonly int _maxCodeSize = DefaultMaxCodeSize;
    private readonly int _maxConstants = DefaultMaxConstants;
    private readonly int _maxStringLength = DefaultMaxStringLength;
    private readonly int _maxFunctions = DefaultMaxFunctions;
    private readonly int _maxGlobals = DefaultMaxGlobals;

    /// <inheritdoc cref="DefaultMaxFileSize"/>
    public int MaxFileSize { get => _maxFileSize; init => _maxFileSize = NotNegative(value); }

    /// <inheritdoc cref="DefaultMaxCodeSize"/>
    public int MaxCodeSize { get => _maxCodeSize; init => _maxCodeSize = NotNegative(value); }

    /// <inheritdoc cref="DefaultMaxConstants"/>
    public int MaxConstants { get => _maxConstants; init => _maxConstants = NotNegative(value); }

    /// <inheritdoc cref="DefaultMaxStringLength"/>
    public int MaxStringLength { get => _maxStringLength; init => _maxStringLength = NotNegative(value); }

    /// <inheritdoc cref="DefaultMaxFunctions"/>
    public int MaxFunctions { get => _maxFunctions; init => _maxFunctions = NotNegative(value); }

    /// <inheritdoc cref="DefaultMaxGlobals"/>
    public int MaxGlobals { get => _maxGlobals; init => _maxGlobals = NotNegative(value); }

    private static int NotNegative(int value, [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        value >= 0 ? value : throw new ArgumentOutOfRangeException(name, value, "a loader limit cannot be negative");
}
