namespace MiniVm.Sdk.Tests;

/// <summary>The SDK's run-time properties reach runtimeconfig.json and the built program obeys
/// them in every tier; an environment variable beats them.</summary>
public sealed class SdkRuntimeConfigTests
{
    private static SdkPackages Packages => SdkPackages.Shared;

    [Fact]
    public void TierAndDepthReachRuntimeConfigAndTheProgramObeysThem()
    {
        var project = Packages.CreateProject("tiers", properties: """
                <MiniVmTier>Interpreter</MiniVmTier>
                <MiniVmMaxDepth>50</MiniVmMaxDepth>
                <MiniVmJitThreshold>7</MiniVmJitThreshold>
            """).Write("main.expr", """
            fn down(n) {
                if n == 0 { return 0; }
                return down(n - 1) + 1;
            }
            print("depth", down(40));
            print(down(100));
            """);
        project.Dotnet("build").AssertSuccess("build with an explicit tier");
        var config = project.RuntimeConfigProperties();
        Assert.Equal("interpreter", (string?)config["MiniVm.Tier"]);
        Assert.Equal("50", config["MiniVm.MaxDepth"]!.ToString());
        Assert.Equal("7", config["MiniVm.JitThreshold"]!.ToString());

        // The limit of 50 comes from runtimeconfig.json: 40 deep is fine, 100 deep is a run-time
        // error (message and MiniVm trace on stderr, exit code 1) — and the interpreter runs.
        var run = project.Dotnet("run", "--no-build");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("depth 40\n", run.StandardOutput);
        Assert.Contains("error: stack overflow (call depth limit 50 exceeded)", run.StandardError);
        Assert.Contains("at down (main.expr:3)", run.StandardError);
        Assert.Contains("at <module> (main.expr:6)", run.StandardError);

        // Jit and Tiered: written, and the program behaves exactly as in the interpreter (the
        // same output, the same depth-limit error and trace; the JIT keeps the interpreter's frames).
        foreach (string tier in new[] { "Jit", "Tiered" })
        {
            project.Dotnet("build", "--no-restore", $"-p:MiniVmTier={tier}").AssertSuccess($"build with the {tier} tier");
            Assert.Equal(tier.ToLowerInvariant(), (string?)project.RuntimeConfigProperties()["MiniVm.Tier"]);
            var compiled = project.RunBuilt();
            Assert.Equal((run.ExitCode, run.StandardOutput, run.StandardError), (compiled.ExitCode, compiled.StandardOutput, compiled.StandardError));
        }

        // An environment variable beats runtimeconfig.json.
        var overridden = project.RunBuilt(new Dictionary<string, string?> { ["MINIVM_TIER"] = "interpreter", ["MINIVM_MAX_DEPTH"] = "1000" });
        Assert.Equal("depth 40\n100\n", overridden.AssertSuccess("run with MINIVM_TIER").StandardOutput);
    }
}
