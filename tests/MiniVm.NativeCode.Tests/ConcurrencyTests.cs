using System.Collections.Concurrent;
using MiniVm.NativeCode.Memory;
using MiniVm.NativeCode.Tests.Support;

namespace MiniVm.NativeCode.Tests;

/// <summary>Several threads compile into, and run code from, one heap at the same time.</summary>
public class ConcurrencyTests
{
    private const int Threads = 4;

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void Concurrent_installs_all_produce_callable_code(CodeMemoryMode mode)
    {
        int perThread = mode == CodeMemoryMode.DualMapping ? 500 : 150;
        using CodeHeap heap = Modes.Heap(mode);
        var installed = new ConcurrentBag<(nint Address, int Value)>();
        using var start = new Barrier(Threads);

        RunThreads(t =>
        {
            start.SignalAndWait();
            for (int i = 0; i < perThread; i++)
            {
                int value = t * 100_000 + i;
                nint function = heap.Install(X64.ReturnConstant(value), $"t{t}f{i}");
                Assert.Equal(value, X64.CallInt(function)); // callable at once, on the installing thread
                installed.Add((function, value));
            }
        });

        Assert.Equal(Threads * perThread, installed.Count);
        Assert.Equal(installed.Count, installed.Select(f => f.Address).Distinct().Count());
        Assert.All(installed, f => Assert.Equal(f.Value, X64.CallInt(f.Address))); // and on this one
        Assert.Equal(Threads * perThread, heap.FunctionCount);
    }

    [CodeHeapTheory]
    [MemberData(nameof(Modes.Available), MemberType = typeof(Modes))]
    public void Code_keeps_running_while_other_threads_install_next_to_it(CodeMemoryMode mode)
    {
        using CodeHeap heap = Modes.Heap(mode);
        nint[] running = Enumerable.Range(0, 8).Select(i => heap.Install(X64.ReturnConstant(i), $"r{i}")).ToArray();
        int installs = mode == CodeMemoryMode.DualMapping ? 400 : 100;
        int writersLeft = 2;
        long calls = 0;
        using var start = new Barrier(Threads);

        RunThreads(t =>
        {
            start.SignalAndWait();
            if (t < 2)
            {
                // Writers: new code into the same pages the callers are executing.
                try
                {
                    for (int i = 0; i < installs; i++)
                    {
                        nint function = heap.Install(X64.ReturnConstant(-i), "w");
                        Assert.Equal(-i, X64.CallInt(function));
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref writersLeft);
                }
            }
            else
            {
                do
                {
                    for (int i = 0; i < running.Length; i++)
                    {
                        Assert.Equal(i, X64.CallInt(running[i]));
                    }
                    Interlocked.Increment(ref calls);
                }
                while (Volatile.Read(ref writersLeft) > 0);
            }
        });

        Assert.True(Interlocked.Read(ref calls) > 0);
        Assert.Equal(running.Length + 2 * installs, heap.FunctionCount);
    }

    [CodeHeapFact]
    public void Threads_compiling_the_same_function_agree_on_one_published_entry()
    {
        using var heap = new CodeHeap(new CodeHeapOptions { PerfMap = null });
        nint slot = 0;
        var seen = new ConcurrentBag<nint>();
        using var start = new Barrier(Threads);

        RunThreads(t =>
        {
            start.SignalAndWait();
            nint mine = heap.Install(X64.ReturnConstant(77), "same");
            nint winner = CodeHeap.PublishIfUnset(ref slot, mine);
            seen.Add(winner);
            Assert.Equal(77, X64.CallInt(Volatile.Read(ref slot)));
        });

        Assert.Single(seen.Distinct());
        Assert.Equal(slot, seen.First());
    }

    [CodeHeapFact]
    public void A_writer_may_install_other_functions_into_the_same_heap()
    {
        using var heap = new CodeHeap(new CodeHeapOptions { PerfMap = null });
        nint helper = 0;
        nint outer = heap.Install(X64.ReturnConstant(1).Length, (_, code) =>
        {
            helper = heap.Install(X64.ReturnConstant(2), "helper"); // e.g. a stub the function calls
            X64.ReturnConstant(1).CopyTo(code);
        }, "outer");

        Assert.Equal(1, X64.CallInt(outer));
        Assert.Equal(2, X64.CallInt(helper));
        Assert.NotEqual(outer, helper);
    }

    private static void RunThreads(Action<int> body)
    {
        var errors = new ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                body(t);
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        if (!errors.IsEmpty)
        {
            throw new AggregateException(errors);
        }
    }
}
