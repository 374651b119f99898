using MiniVm.NativeCode.Memory;
using MiniVm.NativeCode.Tests.Support;

namespace MiniVm.NativeCode.Tests;

/// <summary>
/// W^X, checked against the kernel's own account (/proc/self/maps): the code heap never holds
/// a mapping that is writable and executable, before, during or after an installation.
/// </summary>
public class WriteXorExecuteTests
{
    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void No_mapping_is_ever_writable_and_executable_after_any_install(CodeMemoryMode mode)
    {
        // The .NET runtime keeps W^X itself by default; if someone runs the tests with
        // DOTNET_EnableWriteXorExecute=0 its own code is rwx, and then only our ranges are checked.
        bool processWasClean = ProcessMaps.WritableAndExecutable().Count == 0;
        using CodeHeap heap = Modes.Heap(mode);
        for (int i = 0; i < 300; i++)
        {
            nint function = i % 50 == 49
                ? heap.Install(20_000, (_, code) => { code.Fill(X64.Nop); X64.ReturnConstant(i).CopyTo(code[^6..]); }, $"big{i}")
                : heap.Install(X64.ReturnConstant(i), $"f{i}");

            IReadOnlyList<Mapping> maps = ProcessMaps.Read();
            IReadOnlyList<Mapping> writableAndExecutable = maps.Where(m => m.IsWritable && m.IsExecutable).ToArray();
            if (processWasClean)
            {
                Assert.Empty(writableAndExecutable);
            }
            foreach ((nint start, int size) in heap.GetMappings())
            {
                Assert.DoesNotContain(writableAndExecutable, m => m.Overlaps(start, size));
            }

            Mapping home = Assert.Single(maps, m => m.Contains(function));
            Assert.Equal(mode == CodeMemoryMode.DualMapping ? "r-xs" : "r-xp", home.Permissions);
            Assert.Equal(i, X64.CallInt(function));
        }
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void While_the_writer_runs_its_final_address_is_not_writable(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        heap.Install(X64.ReturnConstant(0), "before"); // the next one lands in a chunk that already holds code

        Mapping? during = null;
        IReadOnlyList<Mapping> writableOverAddress = [];
        nint function = heap.Install(6, (address, code) =>
        {
            IReadOnlyList<Mapping> maps = ProcessMaps.Read();
            during = maps.Single(m => m.Contains(address));
            writableOverAddress = maps.Where(m => m.IsWritable && m.Contains(address)).ToArray();
            X64.ReturnConstant(5).CopyTo(code);
        }, "checked");

        Assert.NotNull(during);
        Assert.Empty(writableOverAddress);
        // Dual mapping: the page is executable (it already runs code) and stays read-only.
        // Fresh pages: the new function's page is not even accessible until it is written.
        Assert.Equal(mode == CodeMemoryMode.DualMapping ? "r-xs" : "---p", during.Permissions);
        Assert.Equal(5, X64.CallInt(function));
    }

    [CodeHeapFact(CodeMemoryMode.DualMapping)]
    public void Dual_mapped_code_lives_in_the_named_memfd_and_the_writable_view_is_gone()
    {
        string name = $"minivm-wx-{Guid.NewGuid():N}";
        using CodeHeap heap = Modes.Heap(CodeMemoryMode.DualMapping, name);
        nint function = heap.Install(X64.ReturnConstant(9), "named");

        Mapping home = ProcessMaps.Containing(function)!;
        Assert.Equal($"/memfd:{name} (deleted)", home.Path);
        // One mapping of the memfd: the executable view. The temporary writable view is unmapped.
        Assert.All(ProcessMaps.Read().Where(m => m.Path.StartsWith($"/memfd:{name}", StringComparison.Ordinal)),
            m => Assert.Equal("r-xs", m.Permissions));
        Assert.Equal(1, ProcessMaps.CountMemfdMappings(name));
    }
}
