using System.Text.Json.Nodes;
using MiniContainer.Cli.Compose;
using Xunit;

namespace MiniContainer.UnitTests.Cli.Compose;

/// <summary>Loading a project: files, names, .env interpolation, merging of several -f files, depends_on order.</summary>
public sealed class ComposeLoaderTests
{
    const string Tutorial = """
        services:
          app:
            image: busybox
            command: sh -c 'echo ${GREETING:-hi}'
            environment:
              - DB_HOST=db
              - PASSWORD=${DB_PASSWORD}
            depends_on:
              db:
                condition: service_healthy
              cache:
                condition: service_started
            ports: ["127.0.0.1:8080:80", "9000"]
          db:
            image: busybox:${DB_TAG:-latest}
            volumes: [dbdata:/var/lib/mysql, ./init:/init:ro, /scratch]
            healthcheck:
              test: ["CMD", "true"]
              interval: 1m30s
              retries: 3
          cache:
            image: busybox
            restart: always
        volumes:
          dbdata: {}
        """;

    [Fact]
    public void Finds_compose_yaml_and_names_the_project_after_the_directory()
    {
        using var files = new ComposeTestFiles("My App.v2").With("compose.yaml", Tutorial);
        var p = files.Load();
        Assert.Equal("myappv2", p.Name);
        Assert.Equal(files.Dir, p.WorkingDir);
        Assert.Equal([Path.Combine(files.Dir, "compose.yaml")], p.ConfigFiles);
        Assert.Equal("myappv2_default", p.Networks["default"].Name);
        Assert.Equal("myappv2_dbdata", p.Volumes["dbdata"].Name);
    }

    [Fact]
    public void Finds_docker_compose_yml_in_a_parent_directory()
    {
        using var files = new ComposeTestFiles().With("docker-compose.yml", Tutorial);
        string sub = Path.Combine(files.Dir, "src");
        Directory.CreateDirectory(sub);
        var p = ComposeLoader.Load(new ComposeOptions([], null, null, [], [], _ => null, sub));
        Assert.Equal("myapp", p.Name);
    }

    [Fact]
    public void Project_name_comes_from_p_then_the_environment_then_name()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", "name: fromfile\n" + Tutorial);
        Assert.Equal("fromfile", files.Load().Name);
        Assert.Equal("fromenv", files.Load(env: new Dictionary<string, string> { ["COMPOSE_PROJECT_NAME"] = "fromenv" }).Name);
        Assert.Equal("fromflag", files.Load(project: "fromflag", env: new Dictionary<string, string> { ["COMPOSE_PROJECT_NAME"] = "fromenv" }).Name);
        var e = Assert.Throws<ComposeFileException>(() => files.Load(project: "Bad Name"));
        Assert.Equal("invalid project name \"Bad Name\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number", e.Message);
    }

    [Fact]
    public void Interpolates_from_the_shell_over_dot_env()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", Tutorial).With(".env", "DB_PASSWORD=secret\nGREETING=from-dotenv\nDB_TAG=1.36\n");
        var p = files.Load(env: new Dictionary<string, string> { ["GREETING"] = "from-shell" });
        Assert.Equal(["sh", "-c", "echo from-shell"], p.Services["app"].Command);
        Assert.Contains(new KeyValuePair<string, string>("PASSWORD", "secret"), p.Services["app"].Environment);
        Assert.Equal("busybox:1.36", p.Services["db"].Image);
    }

    [Fact]
    public void Env_file_flag_replaces_dot_env()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", Tutorial).With(".env", "DB_TAG=dotenv\n").With("other.env", "DB_TAG=other\n");
        Assert.Equal("busybox:other", files.Load(envFiles: ["other.env"]).Services["db"].Image);
        var e = Assert.Throws<ComposeFileException>(() => files.Load(envFiles: ["missing.env"]));
        Assert.Equal($"couldn't find env file: {Path.Combine(files.Dir, "missing.env")}", e.Message);
    }

    [Fact]
    public void Reads_the_service_keys_into_the_model()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", Tutorial).With("init.env", "FROM_FILE=1\nDB_HOST=overridden\n");
        var p = files.Load();
        var app = p.Services["app"];
        Assert.Equal([new("db", new ComposeDependency("service_healthy", true)), new KeyValuePair<string, ComposeDependency>("cache", new ComposeDependency("service_started", true))], app.DependsOn);
        Assert.Equal(new ComposePort("127.0.0.1", "8080", "80", "tcp"), app.Ports[0]);
        Assert.Equal(new ComposePort("", "", "9000", "tcp"), app.Ports[1]);
        var db = p.Services["db"];
        Assert.Equal(new ComposeMount("volume", "dbdata", "/var/lib/mysql", false), db.Volumes[0]);
        Assert.Equal(new ComposeMount("bind", Path.Combine(files.Dir, "init"), "/init", true), db.Volumes[1]);
        Assert.Equal(new ComposeMount("volume", "", "/scratch", false), db.Volumes[2]);
        Assert.Equal(90_000_000_000, db.Healthcheck!.IntervalNs);
        Assert.Equal(3, db.Healthcheck.Retries);
        Assert.Equal("always", p.Services["cache"].Restart);
        Assert.Equal("default", app.Networks.Single().Key);
    }

    [Fact]
    public void Env_file_entries_come_first_and_environment_overrides_them()
    {
        using var files = new ComposeTestFiles().With("a.env", "A=from-file\nB=from-file\n").With("compose.yaml", """
            services:
              s:
                image: busybox
                env_file: a.env
                environment:
                  B: from-environment
                  C:
            """);
        var env = files.Load(env: new Dictionary<string, string> { ["C"] = "from-shell" }).Services["s"].Environment;
        Assert.Equal(["A=from-file", "B=from-environment", "C=from-shell"], env.Select(kv => kv.Key + "=" + kv.Value));
    }

    [Fact]
    public void Merges_several_files_as_compose_v2()
    {
        using var files = new ComposeTestFiles()
            .With("compose.yaml", """
                services:
                  web:
                    image: busybox
                    command: ["httpd", "-f"]
                    environment: [A=1, B=1]
                    labels: {tier: web}
                    ports: ["8080:80"]
                    expose: ["3000"]
                    volumes: ["data:/data", "./conf:/conf:ro"]
                volumes:
                  data: {}
                """)
            .With("override.yaml", """
                services:
                  web:
                    image: busybox:1.36
                    command: sh -c 'sleep 1'
                    environment:
                      B: "2"
                      C: "3"
                    labels: [owner=me]
                    ports: ["8080:80", "8443:443"]
                    expose: ["3000", "3001"]
                    volumes: ["./other:/conf"]
                  extra:
                    image: busybox
                """);
        var p = files.Load(files: ["compose.yaml", "override.yaml"]);
        var web = p.Services["web"];
        Assert.Equal("busybox:1.36", web.Image);
        Assert.Equal(["sh", "-c", "sleep 1"], web.Command);
        Assert.Equal(["A=1", "B=2", "C=3"], web.Environment.Select(kv => kv.Key + "=" + kv.Value));
        Assert.Equal(["tier=web", "owner=me"], web.Labels.Select(kv => kv.Key + "=" + kv.Value));
        Assert.Equal(["8080", "8443"], web.Ports.Select(x => x.Published));
        Assert.Equal(["3000/tcp", "3001/tcp"], web.Expose);
        Assert.Equal(["/data", "/conf"], web.Volumes.Select(v => v.Target));
        Assert.Equal(Path.Combine(files.Dir, "other"), web.Volumes[1].Source);
        Assert.False(web.Volumes[1].ReadOnly);
        Assert.True(p.Services.ContainsKey("extra"));
        Assert.Equal(2, p.ConfigFiles.Count);
    }

    [Fact]
    public void Orders_services_after_their_dependencies()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", """
            services:
              web: {image: busybox, depends_on: [api]}
              api: {image: busybox, depends_on: [db, cache]}
              cache: {image: busybox}
              db: {image: busybox}
              solo: {image: busybox}
            """);
        var p = files.Load();
        Assert.Equal(["db", "cache", "api", "web", "solo"], DependencyOrder.Sort(p.Services).Select(s => s.Name));
        Assert.Equal(["db", "cache", "api"], DependencyOrder.Closure(p.Services, ["api"], noDeps: false).Select(s => s.Name));
        Assert.Equal(["api"], DependencyOrder.Closure(p.Services, ["api"], noDeps: true).Select(s => s.Name));
    }

    [Fact]
    public void Reports_a_dependency_cycle_naming_its_services()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", """
            services:
              a: {image: busybox, depends_on: [b]}
              b: {image: busybox, depends_on: [c]}
              c: {image: busybox, depends_on: [a]}
            """);
        Assert.Equal("dependency cycle detected: a -> b -> c -> a", files.Error());
    }

    [Fact]
    public void Profiles_enable_services()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", """
            services:
              app: {image: busybox}
              debug: {image: busybox, profiles: [dev]}
            """);
        Assert.Equal(["app"], files.Load().Services.Keys);
        Assert.Equal(["app", "debug"], files.Load(profiles: ["dev"]).Services.Keys);
    }

    [Fact]
    public void External_and_named_networks_and_volumes_keep_their_names()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", """
            services:
              s:
                image: busybox
                networks:
                  front: {aliases: [web]}
                  shared:
                volumes: [cache:/c, keep:/k]
            networks:
              front: {name: custom-front}
              shared: {external: true}
            volumes:
              cache: {}
              keep: {external: true, name: kept-data}
            """);
        var p = files.Load();
        Assert.Equal("custom-front", p.Networks["front"].Name);
        Assert.Equal(("shared", true), (p.Networks["shared"].Name, p.Networks["shared"].External));
        Assert.Equal("myapp_cache", p.Volumes["cache"].Name);
        Assert.Equal("kept-data", p.Volumes["keep"].Name);
        Assert.False(p.Networks.ContainsKey("default"));
        Assert.Equal(["web"], p.Services["s"].Networks[0].Value.Aliases);
    }

    [Fact]
    public void Config_prints_the_resolved_model()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", Tutorial).With(".env", "DB_PASSWORD=pw\n");
        string yaml = ComposeConfigWriter.Write(files.Load());
        Assert.StartsWith("name: myapp\nservices:\n  app:\n", yaml);
        Assert.Contains("    image: busybox:latest\n", yaml);
        Assert.Contains("      PASSWORD: \"pw\"\n", yaml);
        Assert.Contains("      interval: 1m30s\n", yaml);
        Assert.Contains("    name: myapp_dbdata\n", yaml);
        Assert.DoesNotContain("${", yaml);
    }

    [Fact]
    public void The_config_hash_changes_with_the_service_and_only_with_it()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", Tutorial).With(".env", "DB_PASSWORD=one\n");
        var first = files.Load();
        var again = files.Load();
        files.With(".env", "DB_PASSWORD=two\n");
        var changed = files.Load();
        string Hash(ComposeProject p, string s) => ContainerSpec.Hash(ContainerSpec.Body(p, p.Services[s]));
        Assert.Equal(Hash(first, "app"), Hash(again, "app"));
        Assert.NotEqual(Hash(first, "app"), Hash(changed, "app"));
        Assert.Equal(Hash(first, "db"), Hash(changed, "db"));
    }

    [Fact]
    public void A_container_gets_the_compose_labels_and_its_aliases()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", Tutorial).With(".env", "DB_PASSWORD=pw\n");
        var p = files.Load();
        var app = p.Services["app"];
        var body = ContainerSpec.Body(p, app);
        var config = ContainerSpec.ForContainer(p, app, body, ContainerSpec.Hash(body), 1);
        var labels = (JsonObject)config["Labels"]!;
        Assert.Equal("myapp", (string?)labels["com.docker.compose.project"]);
        Assert.Equal("app", (string?)labels["com.docker.compose.service"]);
        Assert.Equal("1", (string?)labels["com.docker.compose.container-number"]);
        Assert.Equal("False", (string?)labels["com.docker.compose.oneoff"]);
        Assert.Equal("db:service_healthy:false,cache:service_started:false", (string?)labels["com.docker.compose.depends_on"]);
        Assert.Equal(files.Dir, (string?)labels["com.docker.compose.project.working_dir"]);
        Assert.Equal("myapp_default", (string?)config["HostConfig"]!["NetworkMode"]);
        Assert.Equal("""["app","myapp-app-1"]""", config["NetworkingConfig"]!["EndpointsConfig"]!["myapp_default"]!["Aliases"]!.ToJsonString());
        Assert.Null(body["Labels"]!["com.docker.compose.project"]);   // the hashed body is the same for every container
    }

    [Fact]
    public void Anchors_and_merge_keys_are_expanded_and_interpolated_once()
    {
        using var files = new ComposeTestFiles().With("compose.yaml", """
            x-common: &common
              image: busybox
              restart: always
              command: ["sh", "-c", "echo $$HOME ${TAG:-t}"]
              environment: &env
                SHARED: "1"
            services:
              a:
                <<: *common
                restart: "no"
              b:
                <<: [*common]
                environment:
                  <<: *env
                  OWN: "2"
            """);
        var p = files.Load(files: ["compose.yaml", "compose.yaml"]);
        Assert.Equal("no", p.Services["a"].Restart);
        Assert.Equal("always", p.Services["b"].Restart);
        Assert.Equal(["sh", "-c", "echo $HOME t"], p.Services["a"].Command);
        Assert.Equal(["sh", "-c", "echo $HOME t"], p.Services["b"].Command);
        Assert.Equal(["OWN=2", "SHARED=1"], p.Services["b"].Environment.Select(kv => kv.Key + "=" + kv.Value).Order());
        Assert.Equal(["SHARED=1"], p.Services["a"].Environment.Select(kv => kv.Key + "=" + kv.Value));
    }
}
