namespace MiniVm.Bytecode.Model;

/// <summary>
/// Everything a program needs, as the compiler produces it and the reader reconstructs it:
/// the functions (indexed by CALL_FUNCTION), the globals' names (indexed by LOAD_GLOBAL and
/// STORE_GLOBAL), the top-level code and the source file's name.
/// </summary>
public sealed class ModuleImage
{
    public ModuleImage(string sourceName, string[] globals, CodeObject[] functions, CodeObject topLevel, bool isSeedForm = false)
    {
        SourceName = sourceName;
        Globals = globals;
        Functions = functions;
        TopLevel = topLevel;
        IsSeedForm = isSeedForm;
    }

    /// <summary>The source path relative to its project, with '/' separators.</summary>
    public string SourceName { get; }
    public string[] Globals { get; }
    public CodeObject[] Functions { get; }
    public CodeObject TopLevel { get; }

    /// <summary>True when the image was read from the seed form ('s' + length + code).</summary>
    public bool IsSeedForm { get; }

    /// <summary>The top-level code followed by every function: each block the verifier checks.</summary>
    public IEnumerable<CodeObject> AllCode()
    {
        yield return TopLevel;
        foreach (var f in Functions) yield return f;
    }

    public int FunctionIndex(string name)
    {
        for (int i = 0; i < Functions.Length; i++)
            if (Functions[i].Name == name) return i;
        return -1;
    }
}
