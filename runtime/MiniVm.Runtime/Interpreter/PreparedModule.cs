using MiniVm.Bytecode.Model;

namespace MiniVm.Interpreter;

/// <summary>A verified module prepared for execution: every code block decoded, and the string
/// constants of all blocks gathered into the permanent part of each run's string heap.</summary>
internal sealed class PreparedModule
{
    /// <param name="specialize">Place superinstructions (always, except in the tests that check
    /// every program gives the same result without them).</param>
    /// <param name="tiered">Prepare for the tiered mode (see <see cref="FunctionCode.Prepare"/>).</param>
    public PreparedModule(ModuleImage image, bool specialize = true, bool tiered = false)
    {
        Image = image;
        var strings = new List<string>();
        var handles = new Dictionary<string, int>(StringComparer.Ordinal);
        int Intern(string text)
        {
            if (!handles.TryGetValue(text, out int handle))
            {
                handle = strings.Count;
                strings.Add(text);
                handles.Add(text, handle);
            }
            return handle;
        }
        Functions = image.Functions.Select((f, i) => FunctionCode.Prepare(f, i, Intern, specialize, tiered)).ToArray();
        TopLevel = FunctionCode.Prepare(image.TopLevel, Functions.Length, Intern, specialize, tiered);
        AllCode = [.. Functions, TopLevel];
        PermanentStrings = strings.ToArray();
    }

    public ModuleImage Image { get; }
    public FunctionCode[] Functions { get; }
    public FunctionCode TopLevel { get; }

    /// <summary>Every code block by its <see cref="FunctionCode.Index"/>: the functions, then the top level.</summary>
    public FunctionCode[] AllCode { get; }
    public string[] PermanentStrings { get; }
}
