using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Sluice.Core.Jobs;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Postgres;
using Sluice.RabbitMq;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Sluice.Distributed.Tests.Deploy;

/// <summary>
/// The deployment files under deploy/ cannot be run here (no Docker engine, no cluster), so they are parsed and
/// checked against the code: every file parses; images, ports, environment names, probe paths, metric names and
/// queue names agree with what the server really does (a real server process answers the probe paths and
/// exposes the metrics); promtool accepts the Prometheus configuration and alert rules.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class DeployFilesTests
{
    private const string Image = "ghcr.io/sluice/sluice-server:latest";
    private static readonly string Deploy = Path.Combine(Brokers.RepoRoot, "deploy");

    [Fact]
    public void EveryYamlAndJsonFile_Parses()
    {
        var files = Directory.EnumerateFiles(Deploy, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)).ToList();
        Assert.True(files.Count >= 8, string.Join(", ", files));
        foreach (var f in files)
        {
            if (f.EndsWith(".json", StringComparison.Ordinal))
            {
                using var _ = JsonDocument.Parse(File.ReadAllText(f));
            }
            else
            {
                Assert.NotEmpty(Documents(f));
            }
        }
    }

    [Fact]
    public void Dockerfiles_MultiStageNonRootAndEntrypointIsTheServerAssembly()
    {
        foreach (var name in new[] { "Dockerfile", "Dockerfile.cli", "Dockerfile.blog" })
        {
            var lines = File.ReadAllLines(Path.Combine(Deploy, "docker", name));
            Assert.True(lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)) >= 2, name + " is not multi-stage");
            var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal))[5..].Trim();
            Assert.NotEqual("root", user);
            Assert.NotEqual("0", user);
            // A parser directive counts only before any comment; after one it is a comment itself.
            Assert.StartsWith("# syntax=", lines[0], StringComparison.Ordinal);
            foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
            {
                foreach (var source in copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
                {
                    var path = Path.Combine(Brokers.RepoRoot, source);
                    Assert.True(File.Exists(path) || Directory.Exists(path), $"{name}: COPY {source} does not exist");
                }
            }
        }

        // The build context is the repository root: a developer's bin/ and obj/ (restore files with host paths) stay out.
        var ignore = File.ReadAllLines(Path.Combine(Brokers.RepoRoot, ".dockerignore")).Select(l => l.Trim()).ToList();
        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);

        var server = File.ReadAllText(Path.Combine(Deploy, "docker", "Dockerfile"));
        Assert.Contains("src/Sluice.Server/Sluice.Server.csproj", server);
        Assert.True(File.Exists(Path.Combine(Brokers.RepoRoot, "src", "Sluice.Server", "Sluice.Server.csproj")));
        Assert.Contains("\"Sluice.Server.dll\"", server);
        Assert.Contains("EXPOSE 8080", server);
        Assert.Contains("ASPNETCORE_URLS=http://0.0.0.0:8080", server);
        // The embedded journal (role all) must outlive the container: on a volume the non-root user owns, not /tmp.
        var dataDir = System.Text.RegularExpressions.Regex.Match(server, @"Sluice__Storage__DataDir=(\S+)").Groups[1].Value;
        Assert.False(dataDir.StartsWith("/tmp", StringComparison.Ordinal), "the image keeps its SQLite journal under " + dataDir);
        Assert.Contains("VOLUME " + dataDir, server);
        Assert.Contains($"chown 1654:1654 {dataDir}", server);

        // The blog: its own project and assembly (sluice-blog.dll), every interface inside the container (its default is
        // loopback only), blog.db and the cookie keys on a volume its user owns.
        var blog = File.ReadAllText(Path.Combine(Deploy, "docker", "Dockerfile.blog"));
        Assert.Contains("dotnet publish src/Sluice.Blog/Sluice.Blog.csproj", blog);
        Assert.Contains("<AssemblyName>sluice-blog</AssemblyName>", File.ReadAllText(Path.Combine(Brokers.RepoRoot, "src", "Sluice.Blog", "Sluice.Blog.csproj")));
        Assert.Contains("\"sluice-blog.dll\"", blog);
        Assert.Contains("EXPOSE 5000", blog);
        Assert.Contains("ASPNETCORE_URLS=http://0.0.0.0:5000", blog);
        var blogData = System.Text.RegularExpressions.Regex.Match(blog, @"Blog__DataDir=(\S+)").Groups[1].Value;
        Assert.StartsWith("/var/lib/", blogData, StringComparison.Ordinal);
        Assert.Contains("VOLUME " + blogData, blog);
        Assert.Contains($"chown 1654:1654 {blogData}", blog);
        Assert.Contains("data-blog/", ignore);
    }

    [Fact]
    public void Compose_GatewayWorkersBrokersAndMonitoring_AgreeWithTheCode()
    {
        var compose = Map(Documents(Path.Combine(Deploy, "docker-compose.yml"))[0]);
        var services = Map(compose["services"]);
        foreach (var s in new[] { "gateway", "worker", "rabbitmq", "postgres", "prometheus", "grafana" })
        {
            Assert.True(services.ContainsKey(s), "missing service " + s);
        }

        Assert.Contains("management", Str(Map(services["rabbitmq"])["image"]));
        Assert.Equal(2, int.Parse(Str(Map(Map(Map(services["worker"])["deploy"]))["replicas"]), System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, role) in new[] { ("gateway", "gateway"), ("worker", "worker") })
        {
            var svc = Map(services[name]);
            Assert.Equal(Image, Str(svc["image"]));
            Assert.Equal("deploy/docker/Dockerfile", Str(Map(svc["build"])["dockerfile"]));
            var env = Map(svc["environment"]);
            Assert.Equal(role, Str(env["Sluice__Role"]));
            Assert.Equal("http://0.0.0.0:8080", Str(env["ASPNETCORE_URLS"]));
            // Gateway and workers share the classifier's folder (a named volume): a model trained on one is served by all.
            Assert.Contains("classifier:/var/lib/sluice/shared", Seq(svc["volumes"]).Select(Str));
            Assert.StartsWith("/var/lib/sluice/shared/", Str(env["Sluice__Classification__ModelDir"]), StringComparison.Ordinal);
            // The URLs the server will parse, pointing at the compose services on their real ports.
            var amqp = RabbitMqUrl.ToAmqp(Str(env["Sluice__Queue__Url"]));
            Assert.Equal(("rabbitmq", 5672), (amqp.Host, amqp.Port));
            var pg = PostgresUrl.Parse(Str(env["Sluice__Store__Url"]));
            Assert.Equal(("postgres", 5432, "sluice"), (pg.Host, pg.Port, pg.Database));
            Assert.Equal(Str(Map(Map(services["postgres"])["environment"])["POSTGRES_DB"]), pg.Database);
            Assert.Equal(Str(Map(Map(services["postgres"])["environment"])["POSTGRES_USER"]), pg.Username);
            Assert.Equal(Str(Map(Map(services["rabbitmq"])["environment"])["RABBITMQ_DEFAULT_USER"]), amqp.UserInfo.Split(':')[0]);
        }

        Assert.Contains("8080:8080", Seq(Map(services["gateway"])["ports"]).Select(Str));
        // The blog reaches the gateway over HTTP on the compose network, listens where its port is published, keeps its
        // data on a named volume at the data folder its settings name.
        var blogService = Map(services["blog"]);
        Assert.Equal("ghcr.io/sluice/sluice-blog:latest", Str(blogService["image"]));
        Assert.Equal("deploy/docker/Dockerfile.blog", Str(Map(blogService["build"])["dockerfile"]));
        var blogEnv = Map(blogService["environment"]);
        var sluiceUrl = new Uri(Str(blogEnv["Blog__Sluice__BaseUrl"]));
        Assert.Equal(("gateway", 8080), (sluiceUrl.Host, sluiceUrl.Port));
        Assert.Equal("http://0.0.0.0:5000", Str(blogEnv["ASPNETCORE_URLS"]));
        Assert.Contains("5000:5000", Seq(blogService["ports"]).Select(Str));
        var blogVolume = Seq(blogService["volumes"]).Select(Str).Single().Split(':');
        Assert.Equal(Str(blogEnv["Blog__DataDir"]), blogVolume[1]);
        Assert.True(Map(compose["volumes"]).ContainsKey(blogVolume[0]), "volume " + blogVolume[0] + " is not declared");
        Assert.Contains("15672:15672", Seq(Map(services["rabbitmq"])["ports"]).Select(Str));
        // Mounted files exist.
        foreach (var s in new[] { "rabbitmq", "prometheus", "grafana" })
        {
            foreach (var v in Seq(Map(services[s])["volumes"]).Select(Str).Where(v => v.StartsWith("./", StringComparison.Ordinal)))
            {
                var path = Path.Combine(Deploy, v.Split(':')[0][2..]);
                Assert.True(File.Exists(path) || Directory.Exists(path), "missing mount " + path);
            }
        }

        Assert.Contains("consumer_timeout = 3600000", File.ReadAllText(Path.Combine(Deploy, "rabbitmq", "rabbitmq.conf")));
    }

    [Fact]
    public void Kubernetes_DeploymentsServicesProbesPdbHpaAndKeda_AgreeWithEachOtherAndTheCode()
    {
        var docs = Directory.EnumerateFiles(Path.Combine(Deploy, "k8s"), "*.yaml").SelectMany(Documents).Select(Map).ToList();
        Dictionary<object, object> Kind(string kind, string name) => docs.Single(d => Str(d["kind"]) == kind && Str(Map(d["metadata"])["name"]) == name);

        foreach (var (deployment, role) in new[] { ("sluice-gateway", "gateway"), ("sluice-worker", "worker") })
        {
            var d = Kind("Deployment", deployment);
            var template = Map(Map(d["spec"])["template"]);
            var labels = Map(Map(template["metadata"])["labels"]);
            Assert.Equal(Map(Map(Map(d["spec"])["selector"])["matchLabels"]).OrderBy(k => Str(k.Key)).Select(k => Str(k.Value)), labels.OrderBy(k => Str(k.Key)).Select(k => Str(k.Value)));
            var pod = Map(template["spec"]);
            Assert.Equal("true", Str(Map(pod["securityContext"])["runAsNonRoot"]).ToLowerInvariant());
            var c = Map(Seq(pod["containers"]).Single());
            Assert.Equal(Image, Str(c["image"]));
            Assert.Equal("8080", Str(Map(Seq(c["ports"]).Single())["containerPort"]));
            Assert.Equal(role, Str(Map(Seq(c["env"]).Single(e => Str(Map(e)["name"]) == "Sluice__Role"))["value"]));
            Assert.Equal("/health/ready", Str(Map(Map(c["readinessProbe"])["httpGet"])["path"]));
            Assert.Equal("/health/live", Str(Map(Map(c["livenessProbe"])["httpGet"])["path"]));
            Assert.True(Map(c["resources"]).ContainsKey("requests") && Map(c["resources"]).ContainsKey("limits"));
            // The kubelet's SIGKILL must not cut the host's own graceful stop short: the grace period covers the preStop
            // wait, the .NET host's ShutdownTimeout (30 s unless shutdownTimeoutSeconds is set) and time to exit.
            var preStop = c.TryGetValue("lifecycle", out var lifecycle) ? int.Parse(Str(Map(Map(Map(lifecycle)["preStop"])["sleep"])["seconds"]), System.Globalization.CultureInfo.InvariantCulture) : 0;
            var hostTimeout = new Microsoft.Extensions.Hosting.HostOptions().ShutdownTimeout.TotalSeconds;
            Assert.DoesNotContain(Seq(c["env"]), e => Str(Map(e)["name"]).Contains("shutdownTimeout", StringComparison.OrdinalIgnoreCase));
            Assert.True(int.Parse(Str(pod["terminationGracePeriodSeconds"]), System.Globalization.CultureInfo.InvariantCulture) >= preStop + hostTimeout + 5, $"{deployment}: terminationGracePeriodSeconds leaves the host no time to stop gracefully");
            var svc = Kind("Service", deployment);
            Assert.Equal(labels.OrderBy(k => Str(k.Key)).Select(k => Str(k.Value)), Map(Map(svc["spec"])["selector"]).OrderBy(k => Str(k.Key)).Select(k => Str(k.Value)));
            var pdb = Kind("PodDisruptionBudget", deployment);
            Assert.Equal(labels.Count, Map(Map(Map(pdb["spec"])["selector"])["matchLabels"]).Count);
        }

        // A gateway keeps serving while its endpoint is withdrawn (the Service would route to a pod that refuses).
        Assert.True(Map(Seq(Map(Map(Map(Kind("Deployment", "sluice-gateway")["spec"])["template"])["spec"])["containers"]).Select(Map).Single()["lifecycle"]).ContainsKey("preStop"));

        var secret = Map(Kind("Secret", "sluice-connections")["stringData"]);
        Assert.Equal("rabbitmq.sluice.svc", RabbitMqUrl.ToAmqp(Str(secret["Sluice__Queue__Url"])).Host);
        Assert.Equal("sluice", PostgresUrl.Parse(Str(secret["Sluice__Store__Url"])).Database);
        var config = Map(Kind("ConfigMap", "sluice-config")["data"]);
        Assert.Equal("http://0.0.0.0:8080", Str(config["ASPNETCORE_URLS"]));

        // The classifier's model folder and training root are on a ReadWriteMany claim every gateway and worker mounts:
        // a model trained on one worker is served by all (a pod-local folder would hide it from the others).
        var claim = Map(Kind("PersistentVolumeClaim", "sluice-classifier")["spec"]);
        Assert.Contains("ReadWriteMany", Seq(claim["accessModes"]).Select(Str));
        foreach (var deployment in new[] { "sluice-gateway", "sluice-worker" })
        {
            var pod = Map(Map(Map(Kind("Deployment", deployment)["spec"])["template"])["spec"]);
            var volume = Seq(pod["volumes"]).Select(Map).Single(v => v.TryGetValue("persistentVolumeClaim", out var pvc) && Str(Map(pvc)["claimName"]) == "sluice-classifier");
            var mount = Seq(Map(Seq(pod["containers"]).Single())["volumeMounts"]).Select(Map).Single(m => Str(m["name"]) == Str(volume["name"]));
            var shared = Str(mount["mountPath"]).TrimEnd('/') + "/";
            Assert.StartsWith(shared, Str(config["Sluice__Classification__ModelDir"]), StringComparison.Ordinal);
            Assert.StartsWith(shared, Str(config["Sluice__Classification__TrainingRoots__0"]), StringComparison.Ordinal);
        }

        var hpa = Map(Kind("HorizontalPodAutoscaler", "sluice-gateway")["spec"]);
        Assert.Equal("sluice-gateway", Str(Map(hpa["scaleTargetRef"])["name"]));

        // KEDA scales workers on the lane queues Sluice really declares for the configured prefix.
        var keda = Map(Kind("ScaledObject", "sluice-worker")["spec"]);
        Assert.Equal("sluice-worker", Str(Map(keda["scaleTargetRef"])["name"]));
        var topology = new RabbitMqTopology(new RabbitMqOptions { Prefix = Str(config["Sluice__Queue__Prefix"]) });
        var lanes = new[] { JobPriority.High, JobPriority.Normal, JobPriority.Low }.Select(p => topology.LaneQueue("sleep-batch", RabbitMqTopology.Lane(p))).ToList();
        var triggers = Seq(keda["triggers"]).Select(Map).ToList();
        Assert.NotEmpty(triggers);
        foreach (var t in triggers)
        {
            Assert.Equal("rabbitmq", Str(t["type"]));
            Assert.Contains(Str(Map(t["metadata"])["queueName"]), lanes);
            Assert.Equal("sluice-rabbitmq", Str(Map(t["authenticationRef"])["name"]));
        }

        Assert.True(Kind("TriggerAuthentication", "sluice-rabbitmq").Count > 0);
    }

    [Fact]
    public async Task ProbePathsScrapeTargetsAndDashboardMetrics_ExistOnARealServer()
    {
        // The paths and metric names the deploy files use, answered by a real server process.
        var settings = new Dictionary<string, string>
        {
            ["Sluice:Storage:DataDir"] = Path.Combine(Path.GetTempPath(), "sluice-deploy-" + Guid.NewGuid().ToString("N")[..8]),
            ["Sluice:Engine:ModelsPaths:0"] = "/nonexistent-sluice-models",
            ["Sluice:Grading:ModelPath"] = "/nonexistent-sluice-grader.bin",
        };
        await using var node = await SluiceNode.StartAsync("all", settings);
        // Produce every metric the dashboard plots: a batch, a queue wait, a rejection, a generation's token latencies, a
        // job's end-to-end duration.
        var (status, _) = await Cluster.PostJobAsync(node.Client, "{\"model\":\"sleep-batch\",\"input\":{}}");
        Assert.Equal(HttpStatusCode.Accepted, status);
        await Cluster.PostJobAsync(node.Client, "{\"model\":\"no-such-model\",\"input\":{}}");
        await Cluster.PostJobAsync(node.Client, "{\"model\":\"sleep-batch\",\"input\":{\"fail\":true}}");
        (status, _) = await Cluster.PostJobAsync(node.Client, "{\"model\":\"count\",\"input\":{\"n\":3}}");
        Assert.Equal(HttpStatusCode.Accepted, status);
        var until = DateTime.UtcNow.AddSeconds(10);
        static bool Produced(string m) => m.Contains("\nsluice_job_retries_total{", StringComparison.Ordinal) && m.Contains("\nsluice_time_per_output_token_seconds_count{", StringComparison.Ordinal)
            && m.Contains("\nsluice_job_duration_seconds_count{", StringComparison.Ordinal);
        while (!Produced(await node.Client.GetStringAsync("/metrics")) && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        var prometheus = Map(Documents(Path.Combine(Deploy, "prometheus", "prometheus.yml"))[0]);
        var paths = Seq(prometheus["scrape_configs"]).Select(Map).Where(s => Str(s["job_name"]).StartsWith("sluice", StringComparison.Ordinal)).Select(s => Str(s["metrics_path"])).ToList();
        Assert.Equal(2, paths.Count);
        foreach (var path in paths.Append("/health/live").Append("/health/ready"))
        {
            using var r = await node.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        var metrics = await node.Client.GetStringAsync("/metrics");
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "grafana", "dashboards", "sluice.json")));
        var exprs = dashboard.RootElement.GetProperty("panels").EnumerateArray().SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.True(exprs.Count >= 6);
        var titles = string.Join('|', dashboard.RootElement.GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("title").GetString()!.ToLowerInvariant()));
        foreach (var topic in new[] { "queue depth", "batch size", "latency", "throughput", "rejections" })
        {
            Assert.Contains(topic, titles);
        }

        // Sluice's own series and the process and runtime ones the memory and CPU panels plot.
        foreach (var name in exprs.SelectMany(e => System.Text.RegularExpressions.Regex.Matches(e, "(sluice|process|dotnet)_[a-z_]+").Select(m => m.Value)).Distinct())
        {
            Assert.True(metrics.Contains("\n" + name, StringComparison.Ordinal) || metrics.StartsWith(name, StringComparison.Ordinal), $"dashboard uses {name}, which /metrics does not expose");
        }

        // The alert rules too: an alert on a misspelt metric never fires, and nothing says so.
        var rules = Seq(Map(Documents(Path.Combine(Deploy, "prometheus", "alerts.yml"))[0])["groups"]).SelectMany(g => Seq(Map(g)["rules"])).Select(r => Str(Map(r)["expr"])).ToList();
        Assert.True(rules.Count >= 5);
        foreach (var name in rules.SelectMany(e => System.Text.RegularExpressions.Regex.Matches(e, "sluice_[a-z_]+").Select(m => m.Value)).Distinct())
        {
            Assert.True(metrics.Contains("\n" + name, StringComparison.Ordinal) || metrics.StartsWith(name, StringComparison.Ordinal), $"alerts.yml uses {name}, which /metrics does not expose");
        }
    }

    [Fact]
    public async Task PrometheusConfig_PassesPromtoolCheckConfig()
    {
        var psi = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("check");
        psi.ArgumentList.Add("config");
        psi.ArgumentList.Add(Path.Combine(Deploy, "prometheus", "prometheus.yml"));
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, output);
    }

    [Fact]
    public async Task PrometheusRules_PassPromtoolCheckRulesAndAreLoadedByTheConfig()
    {
        var config = Map(Documents(Path.Combine(Deploy, "prometheus", "prometheus.yml"))[0]);
        Assert.Contains("alerts.yml", Seq(config["rule_files"]).Select(Str));
        var psi = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("check");
        psi.ArgumentList.Add("rules");
        psi.ArgumentList.Add(Path.Combine(Deploy, "prometheus", "alerts.yml"));
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, output);
    }

    private static List<object> Documents(string path)
    {
        using var reader = new StringReader(File.ReadAllText(path));
        var parser = new MergingParser(new Parser(reader));
        var deserializer = new DeserializerBuilder().Build();
        var docs = new List<object>();
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
        {
            if (deserializer.Deserialize(parser) is { } doc)
            {
                docs.Add(doc);
            }
        }

        return docs;
    }

    private static Dictionary<object, object> Map(object o) => (Dictionary<object, object>)o;

    private static List<object> Seq(object o) => (List<object>)o;

    private static string Str(object o) => Convert.ToString(o, System.Globalization.CultureInfo.InvariantCulture)!;
}
