using System.Runtime.InteropServices;
using MiniVm.NativeCode.Memory;
using MiniVm.NativeCode.Tests.Support;

namespace MiniVm.NativeCode.Tests;

/// <summary>A compilation that fails half-way leaves nothing executable behind, and the heap
/// goes on working.</summary>
[Collection(ProcessWideCollection.Name)]
public class FailureTests
{
    private sealed class CompileFailed : Exception
    {
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void A_writer_that_throws_in_a_new_heap_leaves_no_mapping(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        nint reserved = 0;
        var failure = new CompileFailed();

        CompileFailed thrown = Assert.Throws<CompileFailed>(() => heap.Install(6, (address, code) =>
        {
            reserved = address;
            X64.ReturnConstant(66).CopyTo(code); // a complete function ... and then the compiler fails
            throw failure;
        }, "doomed"));

        Assert.Same(failure, thrown);
        Assert.NotEqual(0, reserved);
        Assert.Equal(0, heap.MappedBytes); // the chunk mapped for it alone is gone
        Assert.Empty(heap.GetMappings());
        Assert.DoesNotContain(ProcessMaps.Read(), m => m.Contains(reserved) && m.IsExecutable && (m.Path.Length == 0 || m.Path.Contains("minivm", StringComparison.Ordinal)));
        Assert.Equal(0, heap.FunctionCount);
        Assert.Equal(0, heap.UsedBytes);

        nint function = heap.Install(X64.ReturnConstant(4), "after");
        Assert.Equal(4, X64.CallInt(function));
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void A_writer_that_throws_next_to_installed_code_writes_nothing_and_its_space_is_reused(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        nint first = heap.Install(X64.ReturnConstant(1), "first");
        long mapped = heap.MappedBytes;
        nint reserved = 0;

        Assert.Throws<CompileFailed>(() => heap.Install(6, (address, code) =>
        {
            reserved = address;
            X64.ReturnConstant(66).CopyTo(code);
            throw new CompileFailed();
        }, "doomed"));

        if (mode == CodeMemoryMode.DualMapping)
        {
            // Same page as running code, so still mapped (read+execute) — but nothing was written.
            for (int i = 0; i < 6; i++)
            {
                Assert.Equal(0, Marshal.ReadByte(reserved, i));
            }
        }
        else
        {
            // Its pages never became accessible, let alone executable.
            Assert.Equal("---p", ProcessMaps.Containing(reserved)!.Permissions);
        }
        Assert.Equal(mapped, heap.MappedBytes);
        Assert.Equal(1, heap.FunctionCount);

        nint next = heap.Install(X64.ReturnConstant(2), "next");
        Assert.Equal(reserved, next);
        Assert.Equal(2, X64.CallInt(next));
        Assert.Equal(1, X64.CallInt(first));
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void A_module_whose_compilation_fails_half_way_is_disposed_without_a_trace(CodeMemoryMode mode)
    {
        string name = $"minivm-fail-{Guid.NewGuid():N}";
        CodeHeap heap = Modes.Heap(mode, name);
        nint[] compiled = Enumerable.Range(0, 3).Select(i => heap.Install(X64.ReturnConstant(i), $"f{i}")).ToArray();
        IReadOnlyList<(nint Start, int Size)> mappings = heap.GetMappings();
        Assert.Throws<CompileFailed>(() => heap.Install(64, (_, _) => throw new CompileFailed(), "f3"));

        heap.Dispose(); // what the runtime does with a module it could not finish compiling

        IReadOnlyList<Mapping> after = ProcessMaps.Read();
        Assert.Equal(0, ProcessMaps.CountMemfdMappings(name));
        Assert.Equal(0, ProcessMaps.CountMemfdDescriptors(name));
        foreach ((nint start, int size) in mappings)
        {
            Assert.DoesNotContain(after, m => m.Overlaps(start, size) && m.IsExecutable && (m.Path.Length == 0 || m.Path.Contains(name, StringComparison.Ordinal)));
        }
    }
}
