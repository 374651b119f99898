using System.Runtime.InteropServices;
using MiniVm.NativeCode.Memory;
using MiniVm.NativeCode.Tests.Support;

namespace MiniVm.NativeCode.Tests;

/// <summary>Installing and calling code: results, packing, alignment, addresses, sizes.</summary>
public class CodeHeapTests
{
    private static readonly int PageSize = Environment.SystemPageSize;

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void Installed_mov_eax_42_returns_42(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        nint function = heap.Install(X64.ReturnConstant(42), "answer");

        Assert.Equal(42, X64.CallInt(function));
        Assert.Equal(mode, heap.Mode);
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void Installed_lea_adds_its_two_arguments(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        nint add = heap.Install(X64.Add.Length, (_, code) => X64.Add.CopyTo(code), "add");

        Assert.Equal(5L, X64.CallLong(add, 2, 3));
        Assert.Equal(0L, X64.CallLong(add, long.MaxValue, long.MinValue + 1));
        Assert.Equal(-7_000_000_000L, X64.CallLong(add, -3_000_000_000, -4_000_000_000));
    }

    [CodeHeapFact(CodeMemoryMode.DualMapping)]
    public void Dual_mapping_packs_many_functions_into_one_page_and_all_stay_callable()
    {
        using CodeHeap heap = Modes.Heap(CodeMemoryMode.DualMapping);
        const int count = 200; // 200 × 16 bytes: one 4 KiB page
        var functions = new nint[count];
        for (int i = 0; i < count; i++)
        {
            functions[i] = heap.Install(X64.ReturnConstant(1000 + i), $"f{i}");
        }

        Assert.Single(functions.Select(f => f / PageSize).Distinct());
        Assert.Equal(count, functions.Distinct().Count());
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(1000 + i, X64.CallInt(functions[i]));
        }
        Assert.Equal(count, heap.FunctionCount);
        Assert.Equal(count * 6L, heap.UsedBytes);
        Assert.Equal(CodeHeapOptions.DefaultChunkSize, heap.MappedBytes);
    }

    [CodeHeapFact(CodeMemoryMode.FreshPages)]
    public void Fresh_pages_give_every_function_pages_of_its_own()
    {
        using CodeHeap heap = Modes.Heap(CodeMemoryMode.FreshPages);
        nint[] functions = Enumerable.Range(0, 5).Select(i => heap.Install(X64.ReturnConstant(i), $"f{i}")).ToArray();

        Assert.Equal(5, functions.Select(f => f / PageSize).Distinct().Count());
        Assert.All(functions, f => Assert.Equal(0, f % PageSize));
        for (int i = 0; i < functions.Length; i++)
        {
            Assert.Equal(i, X64.CallInt(functions[i]));
        }
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void Every_function_is_16_byte_aligned_and_padding_is_int3(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        var functions = new List<(nint Address, int Size)>();
        for (int size = 1; size <= 40; size++)
        {
            int n = size;
            functions.Add((heap.Install(n, (_, code) => { code[..(n - 1)].Fill(X64.Nop); code[n - 1] = 0xC3; }, $"ret{n}"), n));
        }

        foreach ((nint address, int size) in functions)
        {
            Assert.Equal(0, address % CodeHeap.FunctionAlignment);
            X64.CallInt(address); // nops then ret: must simply return
            int padded = (size + 15) / 16 * 16;
            for (int i = size; i < padded; i++)
            {
                Assert.Equal(0xCC, Marshal.ReadByte(address, i));
            }
        }
        if (mode == CodeMemoryMode.DualMapping)
        {
            // Packed back to back: each function starts at the previous one's padded end.
            for (int i = 1; i < functions.Count; i++)
            {
                Assert.Equal(functions[i - 1].Address + (functions[i - 1].Size + 15) / 16 * 16, functions[i].Address);
            }
        }
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void The_writer_is_given_the_address_the_code_runs_at(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        heap.Install(X64.ReturnConstant(1), "filler"); // so the second function is not at a chunk start
        nint seen = 0;
        nint function = heap.Install(X64.ReturnOwnRip.Length, (address, code) => { seen = address; X64.ReturnOwnRip.CopyTo(code); }, "rip");

        Assert.Equal(function, seen);
        Assert.Equal((long)function + 7, X64.CallLong(function));
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void Bytes_the_writer_leaves_untouched_are_int3(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        nint function = heap.Install(32, (_, code) => X64.ReturnConstant(3).CopyTo(code), "partial");

        Assert.Equal(3, X64.CallInt(function));
        for (int i = 6; i < 32; i++)
        {
            Assert.Equal(0xCC, Marshal.ReadByte(function, i));
        }
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void A_function_larger_than_a_chunk_gets_a_mapping_of_its_own(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        const int size = 100_000;
        nint small = heap.Install(X64.ReturnConstant(1), "small");
        nint large = heap.Install(size, (_, code) =>
        {
            code.Fill(X64.Nop);
            X64.ReturnConstant(7).CopyTo(code[(size - 6)..]);
        }, "large");

        Assert.Equal(7, X64.CallInt(large));
        Assert.Equal(1, X64.CallInt(small));
        Assert.True(heap.MappedBytes >= CodeHeapOptions.DefaultChunkSize + size);
        Assert.Equal(size + 6L, heap.UsedBytes);
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void InstallUpTo_keeps_only_the_bytes_written(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        int granularity = mode == CodeMemoryMode.DualMapping ? CodeHeap.FunctionAlignment : PageSize;
        nint first = heap.InstallUpTo(4 * PageSize, (_, code) =>
        {
            X64.ReturnConstant(11).CopyTo(code);
            return 6;
        }, "sized");
        nint second = heap.Install(X64.ReturnConstant(12), "next");

        Assert.Equal(11, X64.CallInt(first));
        Assert.Equal(12, X64.CallInt(second));
        Assert.Equal(first + granularity, second); // the unused tail was given back
        Assert.Equal(12L, heap.UsedBytes);
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void InstallUpTo_rejects_a_size_out_of_range_and_gives_the_space_back(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        nint first = heap.Install(X64.ReturnConstant(1), "first");

        Assert.Throws<InvalidOperationException>(() => heap.InstallUpTo(64, (_, _) => 0, "none"));
        Assert.Throws<InvalidOperationException>(() => heap.InstallUpTo(64, (_, _) => 65, "too many"));
        nint next = heap.Install(X64.ReturnConstant(2), "next");

        Assert.Equal(2, X64.CallInt(next));
        Assert.Equal(first + (mode == CodeMemoryMode.DualMapping ? CodeHeap.FunctionAlignment : PageSize), next);
        Assert.Equal(2, heap.FunctionCount);
    }

    [CodeHeapFact]
    public void Arguments_are_checked()
    {
        using var heap = new CodeHeap(new CodeHeapOptions { PerfMap = null });

        Assert.Throws<ArgumentOutOfRangeException>(() => heap.Install(0, (_, _) => { }, "empty"));
        Assert.Throws<ArgumentOutOfRangeException>(() => heap.Install(-1, (_, _) => { }, "negative"));
        Assert.Throws<ArgumentOutOfRangeException>(() => heap.Install(CodeHeap.MaxFunctionSize + 1, (_, _) => { }, "huge"));
        Assert.Throws<ArgumentOutOfRangeException>(() => heap.Install(ReadOnlySpan<byte>.Empty, "empty span"));
        Assert.Throws<ArgumentNullException>(() => heap.Install(16, null!, "null"));
        Assert.Throws<ArgumentNullException>(() => heap.Install(16, (_, _) => { }, null!));
        Assert.Throws<ArgumentNullException>(() => heap.InstallUpTo(16, null!, "null"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CodeHeap(new CodeHeapOptions { ChunkSize = 0 }));
        Assert.Equal(0, heap.MappedBytes);
    }

    [CodeHeapFact]
    public void A_disposed_heap_refuses_installs_and_holds_nothing()
    {
        var heap = new CodeHeap(new CodeHeapOptions { PerfMap = null });
        heap.Install(X64.ReturnConstant(1), "one");
        Assert.True(heap.MappedBytes > 0);

        heap.Dispose();
        heap.Dispose();

        Assert.True(heap.IsDisposed);
        Assert.Equal(0, heap.MappedBytes);
        Assert.Throws<ObjectDisposedException>(() => heap.Install(X64.ReturnConstant(2), "two"));
        Assert.Throws<ObjectDisposedException>(() => heap.InstallUpTo(8, (_, _) => 1, "three"));
    }

    [CodeHeapFact]
    public void A_heap_maps_nothing_before_its_first_function()
    {
        using var heap = new CodeHeap(new CodeHeapOptions { PerfMap = null });

        Assert.Equal(0, heap.MappedBytes);
        Assert.Equal(0, heap.UsedBytes);
        Assert.Equal(0, heap.FunctionCount);
        Assert.Empty(heap.GetMappings());
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void Contains_tells_the_heaps_addresses(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        nint function = heap.Install(X64.ReturnConstant(1), "f");

        Assert.True(heap.Contains(function));
        Assert.True(heap.Contains(function + 100));
        Assert.False(heap.Contains(0));
        nint elsewhere = Marshal.AllocHGlobal(64);
        try
        {
            Assert.False(heap.Contains(elsewhere));
        }
        finally
        {
            Marshal.FreeHGlobal(elsewhere);
        }
    }

    [CodeHeapFact]
    public void The_default_mode_is_dual_mapping_where_available_and_fresh_pages_with_a_perf_map()
    {
        using var plain = new CodeHeap(new CodeHeapOptions { PerfMap = null });
        string path = Path.Combine(Path.GetTempPath(), $"minivm-perfmap-mode-{Guid.NewGuid():N}.map");
        try
        {
            using var perfMap = new Diagnostics.PerfMap(path);
            using var profiled = new CodeHeap(new CodeHeapOptions { PerfMap = perfMap });

            Assert.Equal(CodeHeap.IsModeSupported(CodeMemoryMode.DualMapping) ? CodeMemoryMode.DualMapping : CodeMemoryMode.FreshPages, plain.Mode);
            Assert.Equal(CodeMemoryMode.FreshPages, profiled.Mode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Publish_and_PublishIfUnset_store_entries_atomically()
    {
        nint slot = 0;
        Assert.Equal(0x1000, CodeHeap.PublishIfUnset(ref slot, 0x1000));
        Assert.Equal(0x1000, CodeHeap.PublishIfUnset(ref slot, 0x2000)); // the first entry wins
        Assert.Equal(0x1000, slot);

        CodeHeap.Publish(ref slot, 0x3000);
        Assert.Equal(0x3000, Volatile.Read(ref slot));
    }
}
