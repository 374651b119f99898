using System.Runtime.InteropServices;

namespace MiniVm.NativeCode.Threading;

/// <summary>
/// Where the current thread's native stack ends. Compiled MiniVm code recurses on the native
/// stack, so before running it the runtime decides whether the thread has room for the call
/// depth limit (or moves the run to a thread that does), and gives compiled code a guard
/// address to compare <c>rsp</c> with.
/// </summary>
public static unsafe partial class ThreadStack
{
    /// <summary>The lowest usable address of the calling thread's stack (stacks grow down), or 0 if
    /// the platform cannot tell (then callers assume nothing beyond .NET's default sizes).</summary>
    public static nint LowestAddress()
    {
        // A thread's stack never moves, and for the main thread glibc reads /proc/self/maps to
        // answer: ask once per thread.
        if (t_lowest == 0) t_lowest = Query();
        return t_lowest == -1 ? 0 : t_lowest;
    }

    [ThreadStatic]
    private static nint t_lowest;

    private static nint Query() => QueryPthread() is var low && low != 0 ? low : -1;

    private static nint QueryPthread()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        // pthread_attr_t is 56 bytes on x86-64 glibc and musl; a generous buffer covers both.
        byte* attributes = stackalloc byte[128];
        if (PthreadGetattrNp(PthreadSelf(), attributes) != 0) return 0;
        try
        {
            nint address;
            nuint size;
            return PthreadAttrGetstack(attributes, &address, &size) == 0 ? address : 0;
        }
        finally
        {
            PthreadAttrDestroy(attributes);
        }
    }

    /// <summary>An address in the caller's current stack frame.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static nint CurrentAddress()
    {
        byte marker = 0;
        return (nint)(&marker);
    }

    [LibraryImport("libc", EntryPoint = "pthread_self")]
    private static partial nint PthreadSelf();

    [LibraryImport("libc", EntryPoint = "pthread_getattr_np")]
    private static partial int PthreadGetattrNp(nint thread, byte* attributes);

    [LibraryImport("libc", EntryPoint = "pthread_attr_getstack")]
    private static partial int PthreadAttrGetstack(byte* attributes, nint* address, nuint* size);

    [LibraryImport("libc", EntryPoint = "pthread_attr_destroy")]
    private static partial int PthreadAttrDestroy(byte* attributes);
}
