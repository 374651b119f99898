using MiniVm.Fuzz.Engine;

namespace MiniVm.Fuzz.Loader;

/// <summary>
/// The loader and verifier against hostile files: every input must load or raise
/// <see cref="MiniVmLoadException"/> (with the file name first), nothing else. A file that
/// loads must also disassemble (<c>minivm dis</c> takes hostile files too) and write back to the
/// same bytes (the module form is canonical), so a field the reader misread cannot hide.
/// </summary>
public sealed class LoaderHarness(LoaderCorpus corpus) : IFuzzHarness
{
    private const string FileName = "fuzz.txtc";

    /// <summary>Fixed cost (the exception and its message, first-use caches) plus a multiple of the
    /// input: loading costs the reader, verifier and the interpreter's preparation at most about
    /// 90 bytes per file byte (docs/security.md §4); a trusted length field costs far more.</summary>
    public const long FixedAllocationAllowance = 1 << 20;
    public const long AllocationPerInputByte = 256;

    private readonly TxtcMutator _mutator = new(corpus);

    public string Name => "loader";
    public string InputExtension => ".txtc";

    public FuzzInput Generate(ulong seed, long index) => _mutator.Mutate(new FuzzRandom(seed, index));

    public long AllocationBound(FuzzInput input) => FixedAllocationAllowance + AllocationPerInputByte * input.Data.Length;

    public string Execute(FuzzInput input)
    {
        MiniVmModule module;
        try
        {
            module = MiniVmModule.Load(input.Data, FileName);
        }
        catch (MiniVmLoadException e)
        {
            if (!e.Message.StartsWith(FileName + ": ", StringComparison.Ordinal) || e.FileName != FileName)
                throw new FuzzInvariantException($"a load error does not name the file: {e.Message}");
            return LoadErrorKind.Of(e.Detail);
        }
        using (module)
        {
            module.Disassemble();
            bool seedForm = input.Data.Length > 4 && input.Data[4] == Bytecode.File.TxtcFormat.TagSeedCode;
            byte[] written = module.ToBytes();
            if (!seedForm && !written.AsSpan().SequenceEqual(input.Data))
                throw new FuzzInvariantException("a loaded file does not write back to the same bytes");
            if (seedForm)
                MiniVmModule.Load(written, FileName).Dispose();    // the translated module is a valid file too
            return "loaded";
        }
    }
}
