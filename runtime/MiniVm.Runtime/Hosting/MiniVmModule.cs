using MiniVm.Bytecode.Disassembly;
using MiniVm.Bytecode.File;
using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Verification;
using MiniVm.Compiler;
using MiniVm.Interpreter;
using MiniVm.Jit;

namespace MiniVm;

/// <summary>
/// A loaded, verified MiniVm module: immutable, and safe to share between threads. Every way in
/// (a file, a stream, bytes, or source compiled in memory) checks the magic number and runs
/// the verifier before any code can execute. Run it with <see cref="Run"/>, or make an
/// <see cref="MiniVmInstance"/> to run the top level once and then call functions by name.
/// Code the JIT compiles for the module is shared by all its instances; <see cref="Dispose"/>
/// returns its executable memory (the finalizer does too, for a module nobody disposes).
/// </summary>
public sealed class MiniVmModule : IDisposable
{
    /// <summary>Largest file the loader reads by default (bytes; <see cref="LoaderLimits.MaxFileSize"/>).</summary>
    public const int MaxFileSize = LoaderLimits.DefaultMaxFileSize;

    private MiniVmModule(ModuleImage image, bool specialize = true)
    {
        Image = image;
        Prepared = new PreparedModule(image, specialize);
    }

    /// <summary>For tests: loads without the interpreter's superinstructions, to check that they
    /// change nothing but speed.</summary>
    internal static MiniVmModule LoadUnspecialized(byte[] bytes, string name) => new(ReadVerified(bytes, name), specialize: false);

    /// <summary>The one way bytes become an image: read (magic number, format, caps), then verify.</summary>
    private static ModuleImage ReadVerified(byte[] bytes, string name, LoaderLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(name);
        var image = TxtcReader.Read(bytes, name, limits);
        Verifier.Verify(image, name);
        return image;
    }

    internal ModuleImage Image { get; }
    internal PreparedModule Prepared { get; }

    private PreparedModule? _preparedTiered;
    private JitEngine? _engine;
    private readonly object _gate = new();
    private int _activeRuns;
    private bool _disposed;

    /// <summary>The module prepared for the tiered mode's interpreter (counting calls and back-edges), made on first use.</summary>
    internal PreparedModule PreparedTiered
    {
        get
        {
            lock (_gate) return _preparedTiered ??= Prepared.TieredForm();
        }
    }

    /// <summary>The module's compiled code, made on first use.</summary>
    internal JitEngine Engine
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _engine ??= new JitEngine(Prepared);
            }
        }
    }

    /// <summary>For tests: make the JIT fail to compile the code blocks this returns true for.</summary>
    internal Func<FunctionCode, bool>? FailCompileForTesting
    {
        set => Engine.FailCompileForTesting = value;
    }

    /// <summary>Marks a run as started; the module cannot be disposed until <see cref="EndRun"/>.</summary>
    internal void BeginRun()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _activeRuns++;
        }
    }

    internal void EndRun()
    {
        lock (_gate) _activeRuns--;
    }

    /// <summary>
    /// Starts getting the JIT ready on a background thread, so the process's first compile does
    /// not pay for loading the assembler. Optional: a host that will run code in the <c>jit</c> or
    /// <c>tiered</c> mode can call it as early as it likes (the tool and the SDK's exec host do,
    /// first thing); creating such an instance calls it too.
    /// </summary>
    public static void WarmUpJit() => JitWarmUp.Start();

    /// <summary>Frees the module's compiled code. Instances made from it can no longer run.
    /// Disposing while one of them is running is an error (its code is in use).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            if (_activeRuns > 0) throw new InvalidOperationException("the module is running in an instance; dispose it after the run ends");
            _disposed = true;
            _engine?.Dispose();
        }
    }

    /// <summary>The source file's name as stored in the module (relative, '/'-separated).</summary>
    public string SourceName => Image.SourceName;

    /// <summary>The functions a host can <see cref="MiniVmInstance.Call"/>.</summary>
    public IReadOnlyList<string> FunctionNames => Image.Functions.Select(f => f.Name).ToArray();

    /// <summary>The number of parameters of <paramref name="function"/>, or -1 if there is no such function.</summary>
    public int ParameterCount(string function)
    {
        int index = Image.FunctionIndex(function);
        return index < 0 ? -1 : Image.Functions[index].ParamCount;
    }

    /// <summary>Loads and verifies a <c>.txtc</c> file. A bad file raises <see cref="MiniVmLoadException"/>;
    /// a missing or unreadable one raises the usual <see cref="IOException"/> family.</summary>
    public static MiniVmModule Load(string path) => Load(path, LoaderLimits.Default);

    /// <summary>Loads and verifies a <c>.txtc</c> file within <paramref name="limits"/> (a host
    /// loading files it did not write sets its own caps; see docs/security.md).</summary>
    public static MiniVmModule Load(string path, LoaderLimits limits)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Load(stream, path, limits);
    }

    /// <summary>Loads and verifies a module from a stream; <paramref name="name"/> names it in errors.</summary>
    public static MiniVmModule Load(Stream stream, string name) => Load(stream, name, LoaderLimits.Default);

    /// <summary>Loads and verifies a module from a stream within <paramref name="limits"/>
    /// (reading stops at <see cref="LoaderLimits.MaxFileSize"/>).</summary>
    public static MiniVmModule Load(Stream stream, string name, LoaderLimits limits)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(limits);
        int maxFileSize = limits.MaxFileSize;
        if (stream.CanSeek && stream.Length - stream.Position > maxFileSize)
            throw new MiniVmLoadException(name, $"file is larger than the limit of {maxFileSize} bytes");
        if (stream.CanSeek)
        {
            // The size is known: read into an array of exactly that size (no growing buffer to copy
            // from), unless the stream turns out longer than it said.
            long start = stream.Position;
            var bytes = new byte[stream.Length - start];
            if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) == bytes.Length && stream.ReadByte() < 0)
                return Load(bytes, name, limits);
            stream.Position = start;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxFileSize)
                throw new MiniVmLoadException(name, $"file is larger than the limit of {maxFileSize} bytes");
            buffer.Write(chunk, 0, read);
        }
        return Load(buffer.ToArray(), name, limits);
    }

    /// <summary>Loads and verifies a module from the bytes of a <c>.txtc</c> file.</summary>
    public static MiniVmModule Load(byte[] bytes, string name) => new(ReadVerified(bytes, name));

    /// <summary>Loads and verifies a module from the bytes of a <c>.txtc</c> file within <paramref name="limits"/>.</summary>
    public static MiniVmModule Load(byte[] bytes, string name, LoaderLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return new(ReadVerified(bytes, name, limits));
    }

    /// <summary>Compiles <c>.expr</c> source in memory (errors raise <see cref="MiniVmCompileException"/>), then verifies it like any file.</summary>
    /// <param name="source">The program text.</param>
    /// <param name="sourceName">The name stack traces show, e.g. <c>rules/price.expr</c>.</param>
    /// <param name="diagnosticPath">The path compile errors name; defaults to <paramref name="sourceName"/>.</param>
    public static MiniVmModule Compile(string source, string sourceName, string? diagnosticPath = null)
    {
        var result = MiniVmCompiler.Compile(source, sourceName, diagnosticPath);
        if (result.Module is null) throw new MiniVmCompileException(result.Diagnostics);
        Verifier.Verify(result.Module, sourceName);
        return new MiniVmModule(result.Module);
    }

    /// <summary>The module's bytecode, as <c>dotnet minivm dis</c> prints it.</summary>
    public string Disassemble() => Disassembler.Disassemble(Image);

    /// <summary>The <c>.txtc</c> bytes of this module (the module form, even if it was loaded from the seed form).</summary>
    public byte[] ToBytes() => TxtcWriter.Write(Image);

    /// <summary>A fresh set of globals and run state for this module.</summary>
    public MiniVmInstance CreateInstance(MiniVmOptions? options = null)
    {
        lock (_gate) ObjectDisposedException.ThrowIf(_disposed, this);
        return new(this, (options ?? new MiniVmOptions()).Resolve());
    }

    /// <summary>Runs the top-level code in a fresh instance and returns the value of its final expression (or none).</summary>
    public MiniVmValue Run(MiniVmOptions? options = null) => CreateInstance(options).Run();
}
