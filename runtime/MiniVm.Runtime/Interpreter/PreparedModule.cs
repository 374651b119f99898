using MiniVm.Bytecode.Model;

namespace MiniVm.Interpreter;

/// <summary>A verified module ready for execution: a <see cref="FunctionCode"/> per code block,
/// each prepared on first use, and the string constants of all blocks gathered into the permanent
/// part of each run's string heap (at load: handles are the same in every run and never change).</summary>
internal sealed class PreparedModule
{
    private readonly Dictionary<string, int> _stringHandles;

    /// <param name="specialize">Place superinstructions (always, except in the tests that check
    /// every program gives the same result without them).</param>
    /// <param name="tiered">Prepare for the tiered mode (see <see cref="FunctionCode"/>).</param>
    public PreparedModule(ModuleImage image, bool specialize = true, bool tiered = false)
        : this(image, specialize, tiered, null)
    {
    }

    private PreparedModule(ModuleImage image, bool specialize, bool tiered, PreparedModule? sameStrings)
    {
        Image = image;
        Specialize = specialize;
        Tiered = tiered;
        if (sameStrings is not null)
        {
            _stringHandles = sameStrings._stringHandles;
            PermanentStrings = sameStrings.PermanentStrings;
        }
        else
        {
            (_stringHandles, PermanentStrings) = GatherStrings(image);
        }
        var functions = new FunctionCode[image.Functions.Length];
        var all = new FunctionCode[functions.Length + 1];
        for (int i = 0; i < functions.Length; i++) all[i] = functions[i] = new FunctionCode(image.Functions[i], i, this);
        TopLevel = all[functions.Length] = new FunctionCode(image.TopLevel, functions.Length, this);
        Functions = functions;
        AllCode = all;
    }

    /// <summary>The same module prepared for the tiered mode's interpreter (counting calls and
    /// back-edges, profiling), with the same string handles.</summary>
    public PreparedModule TieredForm() => new(Image, specialize: true, tiered: true, this);

    public ModuleImage Image { get; }
    public FunctionCode[] Functions { get; }
    public FunctionCode TopLevel { get; }

    /// <summary>Every code block by its <see cref="FunctionCode.Index"/>: the functions, then the top level.</summary>
    public FunctionCode[] AllCode { get; }
    public string[] PermanentStrings { get; }

    public bool Specialize { get; }
    public bool Tiered { get; }

    /// <summary>The permanent handle of a string constant of one of the module's blocks. (Read by
    /// any thread preparing a block: the table is complete before the module is shared.)</summary>
    public int StringHandle(string text) => _stringHandles[text];

    /// <summary>Every distinct string constant, numbered in the order of the blocks (functions,
    /// then the top level) and of their constant pools.</summary>
    private static (Dictionary<string, int>, string[]) GatherStrings(ModuleImage image)
    {
        var handles = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var function in image.Functions) Gather(function, handles);
        Gather(image.TopLevel, handles);
        var strings = new string[handles.Count];
        foreach (var (text, handle) in handles) strings[handle] = text;
        return (handles, strings);
    }

    private static void Gather(CodeObject code, Dictionary<string, int> handles)
    {
        foreach (var constant in code.Constants)
            if (constant.Kind == ConstantKind.String) handles.TryAdd(constant.AsString, handles.Count);
    }
}
