using MiniVm.Bytecode.Model;

namespace MiniVm.Interpreter;

/// <summary>A verified module prepared for execution: every code block decoded, and the string
/// constants of all blocks gathered into the permanent part of each run's string heap.</summary>
internal sealed class PreparedModule
{
    /// <param name="specialize">Place superinstructions (always, except in the tests that check
    /// every program gives the same result without them).</param>
    public PreparedModule(ModuleImage image, bool specialize = true)
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
        Functions = image.Functions.Select((f, i) => FunctionCode.Prepare(f, i, Intern, specialize)).ToArray();
        TopLevel = FunctionCode.Prepare(image.TopLevel, Functions.Length, Intern, specialize);
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
