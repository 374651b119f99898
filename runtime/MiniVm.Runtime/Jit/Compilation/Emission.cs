using Iced.Intel;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// The code being emitted for one compiled block, shared by the bodies inlined into it: the
/// assembler, the slow paths still to emit after the main line, and the labels' placeholders.
/// <para>Iced attaches at most one label to an instruction, and the compiler often has two for
/// the same place (a jump target right after an inline body's return, or after a fast path whose
/// slow path may come back). The second gets a one-byte nop to carry the first; when the block is
/// assembled, the nops are left out and jumps to their labels go to the next instruction, so no
/// placeholder costs a slot in a hot loop's instruction stream.</para>
/// </summary>
internal sealed class Emission
{
    /// <summary>The indices (in emission order) of the nops that only carry a label.</summary>
    private readonly List<int> _labelNops = [];
    private int _lastBound = -1;

    public Assembler Assembler { get; } = new(64);
    public List<Action> OutOfLine { get; } = [];

    /// <summary>Binds <paramref name="label"/> to the next instruction (see the class summary).</summary>
    public void Bind(ref Label label)
    {
        if (_lastBound == Assembler.Instructions.Count)
        {
            _labelNops.Add(Assembler.Instructions.Count);
            Assembler.nop();
        }
        Assembler.Label(ref label);
        _lastBound = Assembler.Instructions.Count;
    }

    /// <summary>Encodes the instructions (at address 0: the code is position-independent) without
    /// the label placeholders.</summary>
    public AssembledCode Assemble()
    {
        var emitted = Assembler.Instructions;
        // By the label on each placeholder, the label of the instruction after it (which carries
        // one: that is why the placeholder exists), followed through placeholders in a row.
        var alias = new Dictionary<ulong, ulong>();
        for (int n = _labelNops.Count - 1; n >= 0; n--)
        {
            int k = _labelNops[n];
            ulong next = emitted[k + 1].IP;
            alias[emitted[k].IP] = alias.TryGetValue(next, out var further) ? further : next;
        }
        var kept = new List<Instruction>(emitted.Count - _labelNops.Count);
        var keptIndex = new int[emitted.Count + 1];
        int nop = 0;
        for (int k = 0; k < emitted.Count; k++)
        {
            keptIndex[k] = kept.Count;
            if (nop < _labelNops.Count && _labelNops[nop] == k)
            {
                nop++;
                continue;
            }
            var instruction = emitted[k];
            if (instruction.Op0Kind == OpKind.NearBranch64 && alias.TryGetValue(instruction.NearBranch64, out var target))
                instruction.NearBranch64 = target;
            kept.Add(instruction);
        }
        keptIndex[emitted.Count] = kept.Count;

        var writer = new ByteWriter();
        if (!BlockEncoder.TryEncode(64, [new InstructionBlock(writer, kept, 0)], out var error, out var results, BlockEncoderOptions.ReturnNewInstructionOffsets))
            throw new InvalidOperationException(error);
        return new AssembledCode(writer.ToArray(), results[0].NewInstructionOffsets, keptIndex);
    }
}

/// <summary>Encoded machine code, with where each emitted instruction (by its index in emission
/// order; a left-out placeholder's is the next instruction's) and each label starts.</summary>
internal sealed class AssembledCode(byte[] code, uint[] offsets, int[] keptIndex)
{
    public byte[] Code { get; } = code;

    public int OffsetOfInstruction(int emitted) => (int)offsets[keptIndex[emitted]];

    public int OffsetOf(Label label) => OffsetOfInstruction(label.InstructionIndex);
}

/// <summary>Where Iced's encoder writes machine code: bytes in memory, installed in the code heap after.</summary>
internal sealed class ByteWriter : CodeWriter
{
    private readonly List<byte> _bytes = [];
    public override void WriteByte(byte value) => _bytes.Add(value);
    public byte[] ToArray() => [.. _bytes];
}
