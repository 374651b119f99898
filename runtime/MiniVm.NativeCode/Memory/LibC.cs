using System.Runtime.InteropServices;

namespace MiniVm.NativeCode.Memory;

/// <summary>
/// The few libc calls the code heap needs (Linux x86-64 values of the constants). Every import
/// sets the last P/Invoke error so a failure can name its errno; none of them is variadic (the
/// ABI of a variadic call is not what a plain P/Invoke produces).
/// </summary>
internal static partial class LibC
{
    // "libc" is resolved by the runtime to the platform's C library (libc.so.6 on glibc).
    private const string Library = "libc";

    internal const int ProtNone = 0;
    internal const int ProtRead = 1;
    internal const int ProtWrite = 2;
    internal const int ProtExec = 4;

    internal const int MapShared = 0x01;
    internal const int MapPrivate = 0x02;
    internal const int MapAnonymous = 0x20;
    internal const int MapNoReserve = 0x4000;

    internal const uint MfdCloexec = 0x0001;
    /// <summary>Linux 6.3+: ask for an executable memfd explicitly (vm.memfd_noexec may default
    /// new memfds to non-executable). Older kernels reject the unknown flag with EINVAL.</summary>
    internal const uint MfdExec = 0x0010;

    internal const int EINVAL = 22;
    internal const int ENOMEM = 12;
    internal const int ENOSYS = 38;

    internal static readonly nint MapFailed = -1;

    [LibraryImport(Library, EntryPoint = "mmap", SetLastError = true)]
    internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Library, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(nint address, nuint length);

    [LibraryImport(Library, EntryPoint = "mprotect", SetLastError = true)]
    internal static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport(Library, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MemfdCreate(string name, uint flags);

    [LibraryImport(Library, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int Ftruncate(int fd, long length);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>The last errno as "ENAME-ish text (n)" for exception messages.</summary>
    internal static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
