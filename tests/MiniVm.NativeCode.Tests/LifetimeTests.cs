using System.Diagnostics;
using System.Runtime.CompilerServices;
using MiniVm.NativeCode.Memory;
using MiniVm.NativeCode.Tests.Support;
using Xunit.Abstractions;

namespace MiniVm.NativeCode.Tests;

/// <summary>Loading and disposing modules over and over returns every mapping and descriptor.</summary>
[Collection(ProcessWideCollection.Name)]
public class LifetimeTests(ITestOutputHelper output)
{
    private const int HeapCount = 5_000;

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void Thousands_of_heaps_filled_and_disposed_do_not_grow_mapped_memory(CodeMemoryMode mode)
    {
        string name = $"minivm-churn-{Guid.NewGuid():N}";
        for (int i = 0; i < 50; i++)
        {
            FillAndDispose(mode, name, i); // warm up: JIT, array pool, runtime structures
        }
        long vmSizeBefore = ProcessMaps.StatusKilobytes("VmSize");
        int mappingsBefore = ProcessMaps.Read().Count;
        int descriptorsBefore = ProcessMaps.CountOpenDescriptors();

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < HeapCount; i++)
        {
            FillAndDispose(mode, name, i);
        }
        clock.Stop();

        long vmSizeAfter = ProcessMaps.StatusKilobytes("VmSize");
        int mappingsAfter = ProcessMaps.Read().Count;
        int descriptorsAfter = ProcessMaps.CountOpenDescriptors();
        output.WriteLine($"{mode}: {HeapCount} heaps in {clock.ElapsedMilliseconds} ms; VmSize {vmSizeBefore} -> {vmSizeAfter} kB, mappings {mappingsBefore} -> {mappingsAfter}, descriptors {descriptorsBefore} -> {descriptorsAfter}");

        // A leak of one chunk per heap would be 5,000 × 64 KiB = 312 MiB. The mapping count is
        // looser: the runtime's own mappings split and merge meanwhile (tiered compilation writes
        // code through its own double mapping, the GC commits and decommits), by some dozens.
        Assert.True(vmSizeAfter - vmSizeBefore < 16 * 1024, $"VmSize grew by {vmSizeAfter - vmSizeBefore} kB");
        Assert.True(mappingsAfter - mappingsBefore < 500, $"the process gained {mappingsAfter - mappingsBefore} mappings");
        Assert.True(descriptorsAfter - descriptorsBefore < 8, $"the process gained {descriptorsAfter - descriptorsBefore} open descriptors");
        Assert.Equal(0, ProcessMaps.CountMemfdMappings(name));
        Assert.Equal(0, ProcessMaps.CountMemfdDescriptors(name));
    }

    [CodeHeapFact(CodeMemoryMode.DualMapping)]
    public void Forgotten_heaps_are_unmapped_by_their_finalizer()
    {
        string name = $"minivm-forgotten-{Guid.NewGuid():N}";
        StrongBox<List<CodeHeap>?> holder = CreateHeaps(name, 100);
        Assert.Equal(100, ProcessMaps.CountMemfdMappings(name));
        Assert.Equal(100, ProcessMaps.CountMemfdDescriptors(name));

        holder.Value = null; // forgotten: never disposed, no longer referenced
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.Equal(0, ProcessMaps.CountMemfdMappings(name));
        Assert.Equal(0, ProcessMaps.CountMemfdDescriptors(name));
    }

    [CodeHeapFact(CodeMemoryMode.DualMapping)]
    public void Dispose_unmaps_every_chunk_and_closes_the_memfd()
    {
        string name = $"minivm-dispose-{Guid.NewGuid():N}";
        CodeHeap heap = Modes.Heap(CodeMemoryMode.DualMapping, name);
        for (int i = 0; i < 3; i++)
        {
            heap.Install(40_000, (_, code) => X64.ReturnConstant(i).CopyTo(code), $"f{i}"); // a chunk or more each
        }
        Assert.True(ProcessMaps.CountMemfdMappings(name) >= 1);
        Assert.Equal(1, ProcessMaps.CountMemfdDescriptors(name));

        heap.Dispose();

        Assert.Equal(0, ProcessMaps.CountMemfdMappings(name));
        Assert.Equal(0, ProcessMaps.CountMemfdDescriptors(name));
    }

    private static void FillAndDispose(CodeMemoryMode mode, string name, int seed)
    {
        using CodeHeap heap = Modes.Heap(mode, name);
        nint last = 0;
        for (int f = 0; f < 4; f++)
        {
            last = heap.Install(X64.ReturnConstant(seed + f), "f");
        }
        if (X64.CallInt(last) != seed + 3)
        {
            throw new InvalidOperationException("installed code returned the wrong value");
        }
    }

    /// <summary>The heaps sit behind a box, so that clearing it leaves no reference to them
    /// in any stack slot or temporary of the test method.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static StrongBox<List<CodeHeap>?> CreateHeaps(string name, int count)
    {
        var heaps = new List<CodeHeap>();
        for (int i = 0; i < count; i++)
        {
            CodeHeap heap = Modes.Heap(CodeMemoryMode.DualMapping, name);
            heap.Install(X64.ReturnConstant(i), "forgotten");
            heaps.Add(heap);
        }
        return new StrongBox<List<CodeHeap>?>(heaps);
    }
}
