namespace MiniVm.Bytecode.Model;

/// <summary>
/// One block of code: a function, or a module's top-level code. Immutable once built; the
/// verifier checks every field against the others before anything runs.
/// </summary>
public sealed class CodeObject
{
    public CodeObject(string name, int paramCount, int localCount, int maxStack, int firstLine,
        byte[] code, Constant[] constants, string[] localNames, LineEntry[] lines)
    {
        Name = name;
        ParamCount = paramCount;
        LocalCount = localCount;
        MaxStack = maxStack;
        FirstLine = firstLine;
        Code = code;
        Constants = constants;
        LocalNames = localNames;
        Lines = lines;
    }

    /// <summary>The name shown in stack traces: the function's name, or <c>&lt;module&gt;</c>.</summary>
    public string Name { get; }

    /// <summary>Parameters are the first locals.</summary>
    public int ParamCount { get; }

    /// <summary>Parameters plus every <c>let</c> slot.</summary>
    public int LocalCount { get; }

    /// <summary>The deepest the operand stack gets; the verifier proves it is never exceeded.</summary>
    public int MaxStack { get; }

    /// <summary>The source line of the declaration (1 for top-level code).</summary>
    public int FirstLine { get; }

    public byte[] Code { get; }
    public Constant[] Constants { get; }

    /// <summary>A name per local slot (shadowed names may repeat), for the disassembler.</summary>
    public string[] LocalNames { get; }

    /// <summary>Sorted by offset; the first row starts at offset 0.</summary>
    public LineEntry[] Lines { get; }

    /// <summary>The source line of the instruction at <paramref name="offset"/>.</summary>
    public int LineAt(int offset)
    {
        int lo = 0, hi = Lines.Length - 1, line = FirstLine;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Lines[mid].Offset <= offset)
            {
                line = Lines[mid].Line;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return line;
    }
}
