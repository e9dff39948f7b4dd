using System.Diagnostics;

namespace Sluice.Cli.Tests.Commands;

/// <summary>
/// The repository's <c>./sluice</c> wrapper, run by bash in a scratch copy of the repository's layout with a stand-in
/// <c>dotnet</c> on the PATH that records its builds (a real build would take minutes and change the checkout).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WrapperScriptTests
{
    [Fact]
    public async Task Sluice_TwoInvocationsOnAStaleBuild_BuildsOnceAndBothRun()
    {
        // README: `./sluice serve &` then `./sluice models` on a fresh clone. Both found the build stale and built the
        // same project at once, and one build failed on a file the other held.
        var root = Directory.CreateTempSubdirectory("sluice-wrapper-").FullName;
        try
        {
            File.Copy(Path.Combine(RepoRoot, "sluice"), Path.Combine(root, "sluice"));
            Directory.CreateDirectory(Path.Combine(root, "src", "Sluice.Cli"));
            await File.WriteAllTextAsync(Path.Combine(root, "src", "Sluice.Cli", "Program.cs"), "// source\n");
            await File.WriteAllTextAsync(Path.Combine(root, "Directory.Build.props"), "<Project />\n");
            await File.WriteAllTextAsync(Path.Combine(root, "Directory.Packages.props"), "<Project />\n");
            var fakeBin = Directory.CreateDirectory(Path.Combine(root, "fake-bin")).FullName;
            var dotnet = Path.Combine(fakeBin, "dotnet");
            // The stand-in build records itself, then holds until the test releases it; running the dll prints "ran".
            await File.WriteAllTextAsync(dotnet, $$"""
                #!/usr/bin/env bash
                if [[ "$1" == build ]]; then
                  echo build >> "{{root}}/builds"
                  touch "{{root}}/building"
                  while [[ ! -f "{{root}}/release" ]]; do sleep 0.05; done
                  mkdir -p "{{root}}/src/Sluice.Cli/bin/Release/net10.0"
                  touch "{{root}}/src/Sluice.Cli/bin/Release/net10.0/sluice.dll"
                  exit 0
                fi
                echo "ran $2"
                """.Replace("\r\n", "\n", StringComparison.Ordinal));
            File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            using var first = Start(root, fakeBin, "serve");
            var until = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(Path.Combine(root, "building")))
            {
                Assert.True(DateTime.UtcNow < until, "the first invocation never started its build");
                await Task.Delay(20);
            }

            using var second = Start(root, fakeBin, "models");
            // Time for the second invocation to reach its own build, had it one to start.
            await Task.Delay(TimeSpan.FromSeconds(2));
            await File.WriteAllTextAsync(Path.Combine(root, "release"), "");

            var firstOut = await FinishAsync(first);
            var secondOut = await FinishAsync(second);

            Assert.Equal(0, first.ExitCode);
            Assert.Equal(0, second.ExitCode);
            Assert.Contains("ran serve", firstOut, StringComparison.Ordinal);
            Assert.Contains("ran models", secondOut, StringComparison.Ordinal);
            Assert.Single(await File.ReadAllLinesAsync(Path.Combine(root, "builds")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static Process Start(string root, string fakeBin, string command)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(root, "sluice"));
        psi.ArgumentList.Add(command);
        psi.Environment["PATH"] = fakeBin + ":" + Environment.GetEnvironmentVariable("PATH");
        return Process.Start(psi)!;
    }

    private static async Task<string> FinishAsync(Process process)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(bound.Token);
        var stderr = process.StandardError.ReadToEndAsync(bound.Token);
        await process.WaitForExitAsync(bound.Token);
        return await stdout + await stderr;
    }

    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sluice.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }
    }
}
