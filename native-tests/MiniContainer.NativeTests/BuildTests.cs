using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>`build` against a real daemon on the busybox fixture: the tutorial Dockerfile, the cache, multi-stage,
/// .dockerignore, failures and bad input, the real docker CLI, history and prune.</summary>
public sealed class BuildTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    private string Context(params (string Name, string Content)[] files)
    {
        string dir = Path.Combine(_d.Root, Support.Unique("ctx"));
        Directory.CreateDirectory(dir);
        foreach (var (name, content) in files)
        {
            string path = Path.Combine(dir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
        return dir;
    }

    private CommandResult Build(params string[] args)
    {
        var r = _d.Run(new[] { "build" }.Concat(args).ToArray());
        output.WriteLine(r.ToString());
        return r;
    }

    private const string Tutorial = """
        FROM busybox
        WORKDIR /app
        COPY hello.txt ./
        COPY run.sh /app/
        RUN chmod +x run.sh && echo built > /app/built.txt
        ENV GREETING=hi
        EXPOSE 8080
        VOLUME /data
        ENTRYPOINT ["/app/run.sh"]
        CMD ["world"]
        """;

    private string TutorialContext() => Context(("Dockerfile", Tutorial), ("hello.txt", "hello"),
        ("run.sh", "#!/bin/sh\necho \"$GREETING $1 $(cat /app/hello.txt) $(cat /app/built.txt) $(pwd)\"\n"));

    [Fact]
    public void The_tutorial_Dockerfile_builds_and_runs_and_the_cache_and_no_cache_behave_like_Docker()
    {
        string ctx = TutorialContext();
        string tag = Support.Unique("tutorial");
        var first = Build("-t", tag, ctx).Ok();
        Assert.Contains("Step 1/10 : FROM busybox", first.Stdout);
        Assert.Contains("Step 5/10 : RUN chmod +x run.sh && echo built > /app/built.txt", first.Stdout);
        Assert.Contains(" ---> Running in ", first.Stdout);
        Assert.Contains($"Successfully tagged {tag}:latest", first.Stdout);
        string id = _d.Run("inspect", "--type", "image", "-f", "{{.Id}}", tag).Ok().Stdout.Trim();
        Assert.Contains($"Successfully built {id[7..19]}", first.Stdout);

        Assert.Equal("hi world hello built /app\n", _d.Run("run", "--rm", tag).Ok().Stdout);
        Assert.Equal("hi there hello built /app\n", _d.Run("run", "--rm", tag, "there").Ok().Stdout);
        Assert.Equal("{\"8080/tcp\":{}} {\"/data\":{}}", _d.Run("inspect", "--type", "image", "-f", "{{json .Config.ExposedPorts}} {{json .Config.Volumes}}", tag).Ok().Stdout.Trim());

        // Rebuild: every step from cache, the same image.
        var again = Build("-t", tag, ctx).Ok();
        Assert.Equal(9, again.Stdout.Split(" ---> Using cache").Length - 1);
        Assert.Contains($"Successfully built {id[7..19]}", again.Stdout);

        // Changing a copied file busts the cache from that step on.
        File.WriteAllText(Path.Combine(ctx, "hello.txt"), "bonjour");
        var changed = Build("-t", tag, ctx).Ok();
        Assert.Equal(1, changed.Stdout.Split(" ---> Using cache").Length - 1);   // WORKDIR only
        Assert.Equal("hi world bonjour built /app\n", _d.Run("run", "--rm", tag).Ok().Stdout);

        // --no-cache runs everything again.
        var fresh = Build("--no-cache", "-t", tag, ctx).Ok();
        Assert.DoesNotContain("Using cache", fresh.Stdout);

        // -q prints only the ID; history shows the steps like Docker's.
        var quiet = Build("-q", ctx).Ok();
        Assert.Matches("^sha256:[0-9a-f]{64}\n$", quiet.Stdout);
        var history = _d.Run("history", "--no-trunc", tag).Ok().Stdout;
        Assert.Contains("/bin/sh -c #(nop)  CMD [\"world\"]", history);
        Assert.Contains("/bin/sh -c chmod +x run.sh && echo built > /app/built.txt", history);
        Assert.StartsWith("IMAGE", history);
        Assert.Equal(_d.Run("history", "-q", tag).Ok().Stdout.Lines()[0], _d.Run("images", "-q", tag).Ok().Stdout.Trim());

        // Intermediate images: hidden from `images`, shown by `images -a`.
        int plain = _d.Run("images", "-q").Ok().Stdout.Lines().Length;
        int all = _d.Run("images", "-a", "-q").Ok().Stdout.Lines().Length;
        Assert.True(all > plain, $"images -a ({all}) should show more than images ({plain})");
        _d.Run("rmi", tag).Ok();
    }

    [Fact]
    public void Multi_stage_copies_from_an_earlier_stage_tags_only_the_final_one_and_target_stops_early()
    {
        string ctx = Context(("Dockerfile", """
            ARG BASE=busybox
            FROM ${BASE} AS build
            RUN mkdir /out && echo artifact > /out/a.txt && dd if=/dev/zero of=/big bs=1024 count=4096 2>/dev/null
            FROM busybox
            COPY --from=build /out/a.txt /result/
            CMD ["cat", "/result/a.txt"]
            """));
        string final = Support.Unique("multi"), builder = Support.Unique("builder");
        Build("-t", final, ctx).Ok();
        Assert.Equal("artifact\n", _d.Run("run", "--rm", final).Ok().Stdout);
        Build("--target", "build", "-t", builder, ctx).Ok();
        long small = long.Parse(_d.Run("inspect", "--type", "image", "-f", "{{.Size}}", final).Ok().Stdout.Trim());
        long big = long.Parse(_d.Run("inspect", "--type", "image", "-f", "{{.Size}}", builder).Ok().Stdout.Trim());
        Assert.True(big - small > 4_000_000, $"final {small} B should be ~4 MB smaller than the build stage {big} B");
        Assert.Equal(1, _d.Run("run", "--rm", builder, "test", "-e", "/result").ExitCode);
        _d.Run("rmi", final, builder).Ok();
    }

    [Fact]
    public void Dockerignore_keeps_files_out_of_the_context()
    {
        string ctx = Context(("Dockerfile", "FROM busybox\nCOPY . /ctx/\n"), (".dockerignore", "# secrets\nsecret.txt\n**/*.log\n!keep.log\n"),
            ("secret.txt", "s"), ("app.txt", "a"), ("sub/debug.log", "l"), ("keep.log", "k"));
        string tag = Support.Unique("ignore");
        Build("-t", tag, ctx).Ok();
        var files = _d.Run("run", "--rm", tag, "find", "/ctx", "-type", "f").Ok().Stdout.Lines().Order(StringComparer.Ordinal).ToArray();
        // .dockerignore is copied too unless it names itself, as in Docker.
        Assert.Equal(new[] { "/ctx/.dockerignore", "/ctx/Dockerfile", "/ctx/app.txt", "/ctx/keep.log" }, files);
        _d.Run("rmi", tag).Ok();
    }

    [Fact]
    public void A_failing_RUN_fails_the_build_with_its_output_and_code_tags_nothing_and_leaves_no_container()
    {
        string ctx = Context(("Dockerfile", "FROM busybox\nRUN echo before-the-failure && exit 3\nCMD [\"true\"]\n"));
        string tag = Support.Unique("fails");
        string containersBefore = Support.PsAll(_d);
        var r = Build("-t", tag, ctx);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("before-the-failure", r.Stdout);
        Assert.Contains("The command '/bin/sh -c echo before-the-failure && exit 3' returned a non-zero code: 3", r.Stderr);
        Assert.NotEqual(0, _d.Run("inspect", "--type", "image", tag).ExitCode);
        Assert.Equal(containersBefore, Support.PsAll(_d));
    }

    [Theory]
    [InlineData("FROM busybox\nRUN true\n\ncoppy a b\n", "", "Dockerfile parse error line 4: unknown instruction: COPPY")]
    [InlineData("FROM busybox\nCOPY --from=nosuchstage /a /b\n", "", "invalid from flag value nosuchstage")]
    [InlineData("FROM nosuchimage-x\n", "", "registry-1.docker.io")]   // FROM pulls what the daemon lacks; tests reach no registry
    [InlineData("FROM busybox\nCOPY ../outside /x\n", "", "forbidden path outside the build context: ../outside")]
    [InlineData("FROM busybox\nCOPY missing.txt /x\n", "", "file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist")]
    [InlineData("FROM busybox\nCOPY . /x\n", "ok\n[broken\n", "syntax error in pattern \"[broken\" (.dockerignore line 2)")]
    [InlineData("FROM busybox\nCOPY a.txt b.txt /notadir\n", "", "When using COPY with more than one source file, the destination must be a directory and end with a /")]
    [InlineData("FROM busybox\nCOPY nomatch* none*.lock ./\n", "", "COPY failed: no source files were specified")]
    public void Bad_input_is_a_clear_error_and_exit_1(string dockerfile, string dockerignore, string message)
    {
        var files = new List<(string, string)> { ("Dockerfile", dockerfile), ("a.txt", "a"), ("b.txt", "b") };
        if (dockerignore.Length > 0) files.Add((".dockerignore", dockerignore));
        string tag = Support.Unique("bad");
        var r = Build("-t", tag, Context(files.ToArray()));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.NotEqual(0, _d.Run("inspect", "--type", "image", tag).ExitCode);
    }

    /// <summary>The official Next.js Dockerfile's line: lock files of the package managers not in use match nothing.</summary>
    [Fact]
    public void A_wildcard_that_matches_nothing_is_fine_when_the_list_copies_something_also_from_a_dockerfile_outside_the_context()
    {
        string ctx = Context(("package.json", "{}"), ("yarn.lock", "y"));
        string dockerfile = Path.Combine(Path.GetDirectoryName(ctx)!, Support.Unique("outside") + ".Dockerfile");
        File.WriteAllText(dockerfile, "FROM busybox\nWORKDIR /app\nCOPY package.json yarn.lock* package-lock.json* pnpm-lock.yaml* ./\nRUN ls /app\n");
        try
        {
            string tag = Support.Unique("nextjs");
            Build("-t", tag, "-f", dockerfile, ctx).Ok();
            Assert.Equal("package.json\nyarn.lock\n", _d.Run("run", "--rm", tag, "ls", "/app").Ok().Stdout);
            _d.Run("rmi", tag).Ok();
        }
        finally { File.Delete(dockerfile); }
    }

    [Fact]
    public void Copy_and_add_follow_Dockers_rules_for_chown_chmod_globs_archives_and_symlinks()
    {
        string ctx = Context(("Dockerfile", """
            FROM busybox
            RUN ln -s /tmp /linkdir
            COPY --chown=nobody:nogroup --chmod=0640 *.txt /linkdir/
            COPY dir /copied
            ADD files.tar /unpacked/
            RUN stat -c '%U:%G %a %n' /tmp/a.txt /tmp/b.txt && ls /copied /unpacked/inner && test ! -e /linkdir/a.txt -o -L /linkdir
            """), ("a.txt", "a"), ("b.txt", "b"), ("dir/nested/f", "f"));
        using (var tar = new System.Formats.Tar.TarWriter(File.Create(Path.Combine(ctx, "files.tar"))))
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "inner/x") { DataStream = new MemoryStream("x"u8.ToArray()) });
        string tag = Support.Unique("copy");
        var r = Build("-t", tag, ctx).Ok();
        Assert.Contains("nobody:nogroup 640 /tmp/a.txt", r.Stdout);
        Assert.Contains("nested", r.Stdout);
        Assert.Contains("x", r.Stdout);
        _d.Run("rmi", tag).Ok();
    }

    [Fact]
    public void Add_of_an_unreachable_url_is_a_clear_error()
    {
        // A closed port on loopback: nothing leaves the machine.
        var r = Build(Context(("Dockerfile", "FROM busybox\nADD http://127.0.0.1:9/file.txt /f\n")));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("ADD failed: cannot fetch http://127.0.0.1:9/file.txt", r.Stderr);
    }

    [Fact]
    public void Onbuild_triggers_run_in_the_child_build_and_build_args_reach_RUN()
    {
        string parent = Support.Unique("onbuild");
        Build("-t", parent, Context(("Dockerfile", "FROM busybox\nONBUILD RUN echo triggered > /trigger\n"))).Ok();
        string child = Support.Unique("child");
        var r = Build("-t", child, "--build-arg", "WHO=arg-value", Context(("Dockerfile", $"FROM {parent}\nARG WHO=default\nRUN echo \"who=$WHO\"\n"))).Ok();
        Assert.Contains("# Executing 1 build trigger", r.Stdout);
        Assert.Contains("who=arg-value", r.Stdout);
        Assert.Equal("triggered\n", _d.Run("run", "--rm", child, "cat", "/trigger").Ok().Stdout);
        _d.Run("rmi", child, parent).Ok();
    }

    [Fact]
    public void Image_prune_removes_dangling_images()
    {
        string ctx = Context(("Dockerfile", "FROM busybox\nRUN echo one > /f\n"));
        string tag = Support.Unique("prune");
        Build("-t", tag, ctx).Ok();
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM busybox\nRUN echo two > /f\n");
        Build("-t", tag, ctx).Ok();   // the first image is now dangling
        Assert.NotEmpty(_d.Run("images", "-q", "--filter", "dangling=true").Ok().Stdout.Trim());
        var pruned = _d.Run("image", "prune", "-f").Ok();
        Assert.Contains("deleted: sha256:", pruned.Stdout);
        Assert.Empty(_d.Run("images", "-q", "--filter", "dangling=true").Ok().Stdout.Trim());
        Assert.Equal("two\n", _d.Run("run", "--rm", tag, "cat", "/f").Ok().Stdout);
        _d.Run("rmi", tag).Ok();
    }

    [Fact]
    public void The_real_docker_CLI_builds_against_our_daemon_with_the_classic_builder()
    {
        // No DOCKER_BUILDKIT=0 needed: /_ping answers Builder-Version 1, so the CLI (28, no buildx) picks the classic builder.
        using var docker = new DockerCli(_d, output);
        string tag = Support.Unique("dockercli");
        var r = docker.Run("build", "-t", tag, TutorialContext()).Ok("docker build");
        Assert.Contains("Step 1/", r.Stdout);
        Assert.Contains($"Successfully tagged {tag}:latest", r.Stdout);
        Assert.Equal("hi world hello built /app\n", _d.Run("run", "--rm", tag).Ok().Stdout);
        Assert.Contains("CMD [\"world\"]", docker.Run("history", tag).Ok().Stdout);
        Assert.Contains($"Untagged: {tag}:latest", docker.Run("rmi", tag).Ok().Stdout);
        Assert.NotEqual(0, _d.Run("inspect", "--type", "image", tag).ExitCode);
    }

    [Fact]
    public void The_cache_and_the_intermediate_images_survive_a_daemon_restart()
    {
        using var d = new Daemon();
        string ctx = TutorialContext();
        var first = d.Run("build", "-t", "kept", ctx).Ok();
        int intermediates = d.Run("images", "-a", "-q").Ok().Stdout.Lines().Length;
        d.Stop();
        d.Start();
        var again = d.Run("build", "-t", "kept", ctx).Ok();
        output.WriteLine(again.ToString());
        Assert.Equal(9, again.Stdout.Split(" ---> Using cache").Length - 1);
        Assert.Equal(first.Stdout.Lines()[^2], again.Stdout.Lines()[^2]);   // "Successfully built <same id>"
        Assert.Equal(intermediates, d.Run("images", "-a", "-q").Ok().Stdout.Lines().Length);
        Assert.Equal(3, d.Run("images", "-q").Ok().Stdout.Lines().Length);   // kept, busybox, mc-probe: intermediates hidden
    }
}
