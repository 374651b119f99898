using MiniVm.Values;

namespace MiniVm.Jit.Profiling;

/// <summary>
/// What the tiered interpreter saw one code block do, for the optimizing compile to bet on
/// (seed 000's 性能采样). The JIT's kind analysis derives every operator's operand kinds from the
/// kinds that enter a code block, so the profile records kinds exactly where they enter: each
/// parameter, each call's result, each global load. With those, every arithmetic and comparison
/// site's operand kinds follow, and one guard where a value enters stands for the checks of
/// every site that uses it. Each conditional branch counts which way it went.
/// <para>Updated without locks by whichever thread interprets the block: a lost update only
/// makes a profile a little less complete, never wrong about what it did record.</para>
/// </summary>
internal sealed class FunctionProfile
{
    private readonly byte[] _parameterKinds;
    private readonly byte[] _valueKinds;
    private readonly int[] _taken;
    private readonly int[] _notTaken;
    private readonly bool[] _inlineFailed;

    public FunctionProfile(int parameters, int instructions)
    {
        _parameterKinds = new byte[parameters];
        _valueKinds = new byte[instructions];
        _taken = new int[instructions];
        _notTaken = new int[instructions];
        _inlineFailed = new bool[instructions];
    }

    /// <summary>Times this block's compiled code deoptimized because a bet failed (forced
    /// deoptimizations of the test mode do not count).</summary>
    public int Deoptimizations;

    /// <summary>Whether anything was recorded: a block never interpreted has nothing to bet on.</summary>
    public bool HasSamples { get; private set; }

    /// <summary>Records the kinds of a call's arguments (the callee's parameters).</summary>
    public void SawArguments(ReadOnlySpan<Value> arguments)
    {
        HasSamples = true;
        for (int k = 0; k < arguments.Length; k++) _parameterKinds[k] |= Bit(arguments[k].Kind);
    }

    /// <summary>Records one parameter's kind (a failed bet on it).</summary>
    public void SawParameter(int parameter, ValueKind kind) => _parameterKinds[parameter] |= Bit(kind);

    /// <summary>Records the kind of the value instruction <paramref name="instruction"/> produced (a call's result, a global load).</summary>
    public void SawValue(int instruction, ValueKind kind)
    {
        HasSamples = true;
        _valueKinds[instruction] |= Bit(kind);
    }

    /// <summary>Records which way conditional jump <paramref name="instruction"/> went.</summary>
    public void SawBranch(int instruction, bool jumped)
    {
        HasSamples = true;
        if (jumped) _taken[instruction]++;
        else _notTaken[instruction]++;
    }

    /// <summary>Records that the body of call <paramref name="instruction"/>, compiled inline, left its fast path.</summary>
    public void SawInlineFailure(int instruction) => _inlineFailed[instruction] = true;

    /// <summary>Whether an inline body at call <paramref name="instruction"/> has left its fast path.</summary>
    public bool InlineFailed(int instruction) => _inlineFailed[instruction];

    /// <summary>The kinds parameter <paramref name="parameter"/> was seen with (as <c>1 &lt;&lt; kind</c> bits; 0: never seen).</summary>
    public byte ParameterKinds(int parameter) => _parameterKinds[parameter];

    /// <summary>The kinds instruction <paramref name="instruction"/> was seen to produce (0: never seen).</summary>
    public byte ValueKinds(int instruction) => _valueKinds[instruction];

    public int Taken(int instruction) => _taken[instruction];

    public int NotTaken(int instruction) => _notTaken[instruction];

    private static byte Bit(ValueKind kind) => (byte)(1 << (int)kind);
}
