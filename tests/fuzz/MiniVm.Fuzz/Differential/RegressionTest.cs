using System.Text.RegularExpressions;

namespace MiniVm.Fuzz.Differential;

/// <summary>
/// Turns a program (a minimised finding) into a test of the program corpus:
/// <c>tests/programs/regressions/NAME.expr</c> with <c>NAME.out</c> and <c>NAME.err</c> as the
/// interpreter gives them, under the name the corpus runs it with (traces name the file), with
/// the program's own step budget. <c>ProgramCorpusTests</c> then runs it in every mode of
/// <see cref="ExecutionModes"/>, so the tier that differed fails until it is fixed.
/// </summary>
public static partial class RegressionTest
{
    public static string Directory(string repositoryRoot) => Path.Combine(RepositoryPaths.Programs(repositoryRoot), "regressions");

    /// <summary>Writes the three files (an empty .out or .err is not written, as in the rest of the
    /// corpus) and returns the path of the .expr.</summary>
    public static string Save(string programFile, string name, string repositoryRoot)
    {
        if (!ValidName().IsMatch(name)) throw new UsageException($"'{name}' is not a test name (letters, digits, '_' and '-')");
        string source = File.ReadAllText(programFile).ReplaceLineEndings("\n");
        string directory = Directory(repositoryRoot);
        System.IO.Directory.CreateDirectory(directory);
        string stem = Path.Combine(directory, name);
        var outcome = ExecutionModes.Interpreter.Run(source, name + ".expr", StepBudget.Read(source));
        File.WriteAllText(stem + ".expr", source);
        WriteOrDelete(stem + ".out", outcome.Stdout);
        WriteOrDelete(stem + ".err", outcome.Stderr);
        return stem + ".expr";
    }

    private static void WriteOrDelete(string path, string text)
    {
        if (text.Length > 0) File.WriteAllText(path, text);
        else File.Delete(path);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex ValidName();
}
