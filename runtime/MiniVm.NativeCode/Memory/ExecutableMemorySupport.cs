using System.Runtime.InteropServices;

namespace MiniVm.NativeCode.Memory;

/// <summary>
/// Decides once per process which <see cref="CodeMemoryMode"/>s work here, by trying them on a
/// single page: kernels, container seccomp profiles and <c>vm.memfd_noexec</c> differ, and it is
/// better to learn that at the first heap than half-way through compiling a function.
/// </summary>
internal static class ExecutableMemorySupport
{
    /// <summary>Only Linux on x86-64: the constants in <see cref="LibC"/> are Linux's, and on
    /// other architectures freshly written code would also need an instruction-cache flush.</summary>
    internal static bool IsPlatformSupported { get; } =
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    internal static int PageSize { get; } = Environment.SystemPageSize;

    private static readonly Lazy<ProbeResult> s_probe = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    internal static bool IsAvailable(CodeMemoryMode mode) => Unavailability(mode) is null;

    /// <summary>Why <paramref name="mode"/> cannot be used here, or null when it can.</summary>
    internal static string? Unavailability(CodeMemoryMode mode)
    {
        if (!IsPlatformSupported)
        {
            return $"executable code memory is implemented for Linux on x86-64 only (this process: {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})";
        }

        ProbeResult probe = s_probe.Value;
        return mode switch
        {
            CodeMemoryMode.DualMapping => probe.DualMappingFailure,
            CodeMemoryMode.FreshPages => probe.FreshPagesFailure,
            _ => $"unknown code memory mode {mode}",
        };
    }

    /// <summary>Why no mode works: the platform, or each mode's failure.</summary>
    internal static string WhyNothingWorks() =>
        !IsPlatformSupported
            ? Unavailability(CodeMemoryMode.FreshPages)!
            : $"dual mapping: {Unavailability(CodeMemoryMode.DualMapping) ?? "available"}; fresh pages: {Unavailability(CodeMemoryMode.FreshPages) ?? "available"}";

    /// <summary>The mode a heap uses when none is asked for: dual mapping (functions share
    /// pages), else fresh pages, else null.</summary>
    internal static CodeMemoryMode? PreferredMode =>
        IsAvailable(CodeMemoryMode.DualMapping) ? CodeMemoryMode.DualMapping
        : IsAvailable(CodeMemoryMode.FreshPages) ? CodeMemoryMode.FreshPages
        : null;

    /// <summary>
    /// Creates the memfd behind a dual-mapped heap. MFD_EXEC first (Linux 6.3+ may otherwise
    /// create it non-executable); a kernel that does not know the flag says EINVAL, and then the
    /// plain call is the old behaviour (always executable). Returns -1 with the errno in
    /// <paramref name="errno"/>; a C library without memfd_create reports ENOSYS.
    /// </summary>
    internal static int CreateMemfd(string name, out int errno)
    {
        try
        {
            int fd = LibC.MemfdCreate(name, LibC.MfdCloexec | LibC.MfdExec);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (fd < 0 && errno == LibC.EINVAL)
            {
                fd = LibC.MemfdCreate(name, LibC.MfdCloexec);
                errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            return fd;
        }
        catch (EntryPointNotFoundException)
        {
            errno = LibC.ENOSYS;
            return -1;
        }
    }

    private sealed record ProbeResult(string? DualMappingFailure, string? FreshPagesFailure);

    private static ProbeResult Probe() => new(ProbeDualMapping(), ProbeFreshPages());

    private static string? ProbeDualMapping()
    {
        int fd = CreateMemfd("minivm-code-probe", out int errno);
        if (fd < 0)
        {
            return $"memfd_create failed: {LibC.Describe(errno)}";
        }

        nuint size = (nuint)PageSize;
        nint executable = LibC.MapFailed;
        nint writable = LibC.MapFailed;
        try
        {
            if (LibC.Ftruncate(fd, PageSize) != 0)
            {
                return $"ftruncate of a memfd failed: {LibC.Describe(Marshal.GetLastPInvokeError())}";
            }
            executable = LibC.Mmap(0, size, LibC.ProtRead | LibC.ProtExec, LibC.MapShared, fd, 0);
            if (executable == LibC.MapFailed)
            {
                return $"a memfd cannot be mapped executable: {LibC.Describe(Marshal.GetLastPInvokeError())}";
            }
            writable = LibC.Mmap(0, size, LibC.ProtRead | LibC.ProtWrite, LibC.MapShared, fd, 0);
            if (writable == LibC.MapFailed)
            {
                return $"a memfd cannot be mapped a second time writable: {LibC.Describe(Marshal.GetLastPInvokeError())}";
            }
            return null;
        }
        finally
        {
            if (writable != LibC.MapFailed)
            {
                LibC.Munmap(writable, size);
            }
            if (executable != LibC.MapFailed)
            {
                LibC.Munmap(executable, size);
            }
            LibC.Close(fd);
        }
    }

    private static string? ProbeFreshPages()
    {
        nuint size = (nuint)PageSize;
        nint page = LibC.Mmap(0, size, LibC.ProtRead | LibC.ProtWrite, LibC.MapPrivate | LibC.MapAnonymous, -1, 0);
        if (page == LibC.MapFailed)
        {
            return $"mmap of one page failed: {LibC.Describe(Marshal.GetLastPInvokeError())}";
        }
        try
        {
            return LibC.Mprotect(page, size, LibC.ProtRead | LibC.ProtExec) == 0
                ? null
                : $"written pages cannot be made executable: {LibC.Describe(Marshal.GetLastPInvokeError())}";
        }
        finally
        {
            LibC.Munmap(page, size);
        }
    }
}
