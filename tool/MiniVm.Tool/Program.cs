using System.CommandLine;
using MiniVm;
using MiniVm.Tool;
using MiniVm.Tool.Commands;

// A run will most likely compile code: start getting the JIT ready on the other core now, while
// the command line is parsed and the module loads (creating a jit or tiered instance would start
// it too, but later).
if (args.Length > 0 && args[0] == "run" && !args.Contains("interpreter")) MiniVmModule.WarmUpJit();

var fileArgument = new Argument<string>("file") { Description = "A .txtc bytecode file, or a .expr source file (compiled in memory)." };
var filesArgument = new Argument<string[]>("files") { Description = "One or more files.", Arity = ArgumentArity.OneOrMore };

var tierOption = new Option<string?>("--tier") { Description = "Execution tier: interpreter, jit or tiered. Overrides MINIVM_TIER.", HelpName = "interpreter|jit|tiered" };
tierOption.AcceptOnlyFromAmong("interpreter", "jit", "tiered");
var thresholdOption = CountOption("--jit-threshold", 0, "Calls before the tiered mode compiles a function (default 500). Overrides MINIVM_JIT_THRESHOLD.");
var maxDepthOption = CountOption("--max-depth", 1, "Call depth limit (default 10000). Overrides MINIVM_MAX_DEPTH.");
var maxStepsOption = new Option<long?>("--max-steps")
{
    Description = "Stop the run with an error after N steps (MiniVm calls plus loop iterations), the same step in every tier.",
    HelpName = "N",
    CustomParser = result =>
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value)) return value;
        result.AddError($"--max-steps takes a whole number of at least 0, not '{text}'.");
        return null;
    },
};
var statsOption = new Option<bool>("--stats") { Description = "After the run, print functions compiled, OSR entries, deoptimizations, code size and times to stderr." };
var dumpAsmOption = new Option<bool>("--dump-asm") { Description = "Print each function the JIT compiles as x86-64 assembly, annotated with bytecode offsets and source lines, to stderr." };
var jitLogOption = new Option<bool>("--jit-log") { Description = "Print a line to stderr for each compile, recompile, on-stack replacement and deoptimization (with its function, offset, line and reason)." };
var noInlineOption = new Option<bool>("--no-inline") { Description = "Keep every call a call: the tiered mode's optimizing compiles inline no callee (to see a callee compiled and deoptimized on its own)." };
var outputOption = new Option<string?>("--output", "-o") { Description = "Directory for the .txtc files (default: beside each source).", HelpName = "DIR" };

var run = new Command("run", "Run a program: a .txtc file, or a .expr file compiled in memory.\nExample: dotnet minivm run hello.expr")
{
    fileArgument, tierOption, thresholdOption, maxDepthOption, maxStepsOption, statsOption, dumpAsmOption, jitLogOption, noInlineOption,
};
run.SetAction(parse => Guard(() =>
{
    MiniVmTier? tier = parse.GetValue(tierOption) is { } text && MiniVmOptions.TryParseTier(text, out var t) ? t : null;
    return RunCommand.Execute(parse.GetValue(fileArgument)!, tier, parse.GetValue(thresholdOption), parse.GetValue(maxDepthOption), parse.GetValue(maxStepsOption), parse.GetValue(statsOption),
        parse.GetValue(dumpAsmOption), parse.GetValue(jitLogOption), inlining: !parse.GetValue(noInlineOption));
}));

var compile = new Command("compile", "Compile .expr files to .txtc bytecode files.\nExample: dotnet minivm compile src/*.expr -o out")
{
    filesArgument, outputOption,
};
compile.SetAction(parse => Guard(() => CompileCommand.Execute(parse.GetValue(filesArgument)!, parse.GetValue(outputOption))));

var dis = new Command("dis", "Disassemble a .txtc file (or a .expr file, compiled first).\nExample: dotnet minivm dis hello.txtc")
{
    fileArgument,
};
dis.SetAction(parse => Guard(() => DisCommand.Execute(parse.GetValue(fileArgument)!)));

var verify = new Command("verify", "Load and verify .txtc files; print 'ok' or the error for each.\nExample: dotnet minivm verify build/*.txtc")
{
    filesArgument,
};
verify.SetAction(parse => Guard(() => VerifyCommand.Execute(parse.GetValue(filesArgument)!)));

var root = new RootCommand("MiniVm: compile, run, disassemble and verify MiniVm programs.\nExit codes: 0 success, 1 run-time error, 2 compile error or bad command line, 3 bad .txtc, 4 file not found or unreadable.")
{
    run, compile, dis, verify,
};

var parseResult = root.Parse(args);
if (parseResult.Errors.Count > 0)
{
    foreach (var error in parseResult.Errors) Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine("Run 'dotnet minivm --help' for usage.");
    return ExitCodes.CompileErrorOrUsage;
}
return parseResult.Invoke();

// An integer option with a lower bound; a bad value is a usage error (exit 2), never an exception.
static Option<int?> CountOption(string name, int minimum, string description) => new(name)
{
    Description = description,
    HelpName = "N",
    CustomParser = result =>
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= minimum)
            return value;
        result.AddError($"{name} takes a whole number of at least {minimum}, not '{text}'.");
        return null;
    },
};

static int Guard(Func<int> command)
{
    try
    {
        return command();
    }
    catch (ToolException e)
    {
        Console.Out.Flush();
        if (e.Message.Length > 0) Console.Error.WriteLine(e.Message);
        return e.ExitCode;
    }
}
