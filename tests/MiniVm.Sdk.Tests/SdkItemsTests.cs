using System.Text;

namespace MiniVm.Sdk.Tests;

/// <summary>Hand-picked MiniVmCompile items (Link, CopyToPublishDirectory), the default items
/// switched off, and the BeforeMiniVmCompile/AfterMiniVmCompile hooks.</summary>
public sealed class SdkItemsTests
{
    private static SdkPackages Packages => SdkPackages.Shared;

    [Fact]
    public void ItemsCanBeChosenByHandAndTheHooksRun()
    {
        var project = Packages.CreateProject("custom", properties: """
                <EnableDefaultMiniVmItems>false</EnableDefaultMiniVmItems>
                <MiniVmEntryPoint>app/start.expr</MiniVmEntryPoint>
            """, items: """
              <ItemGroup>
                <MiniVmCompile Include="src/start.expr" Link="app/start.expr" />
                <MiniVmCompile Include="src/helper.expr" CopyToPublishDirectory="Never" />
              </ItemGroup>
              <Target Name="BeforeMiniVmCompile">
                <Message Importance="high" Text="hook: before (@(MiniVmCompile->Count()) scripts)" />
              </Target>
              <Target Name="AfterMiniVmCompile">
                <Message Importance="high" Text="hook: after" />
              </Target>
            """)
            .Write("src/start.expr", "print(\"started\");\n")
            .Write("src/helper.expr", "fn help() { return 1; }\n")
            .Write("src/ignored.expr", "this is not a valid program\n");

        var build = project.Dotnet("build").AssertSuccess("build with hand-picked items");
        Assert.Contains("hook: before (2 scripts)", build.Output);
        Assert.Contains("hook: after", build.Output);
        Assert.True(File.Exists(Path.Combine(project.Bin, "app", "start.txtc")), "the Link decides the output path");
        Assert.True(File.Exists(Path.Combine(project.Bin, "src", "helper.txtc")));
        Assert.False(File.Exists(Path.Combine(project.Bin, "src", "ignored.txtc")), "default items were switched off");
        Assert.Equal("started\n", project.RunBuilt().AssertSuccess("the program").StandardOutput);
        Assert.Contains("app/start.expr", Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(project.Bin, "app", "start.txtc"))));

        string publish = Path.Combine(project.Directory, "published");
        project.Dotnet("publish", "--no-build", "-c", "Debug", "-o", publish).AssertSuccess("dotnet publish --no-build");
        Assert.True(File.Exists(Path.Combine(publish, "app", "start.txtc")));
        Assert.False(File.Exists(Path.Combine(publish, "src", "helper.txtc")), "CopyToPublishDirectory=Never is honoured");
    }
}
