using System.Diagnostics;
using MiniContainer.NativeTests.Harness;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `minicontainer dashboard` in a real browser: Debian's chromium, driven by chromium-driver through Selenium. A private
/// daemon runs a `-m 32m` container on a user network with a published port (and one whose label and command carry
/// markup); the page must show the container, its 32 MiB limit, its edge in the network graph with its address and
/// port, its kernel view on a click, the markup as text, and the container as stopped within 2 s of `stop`.
/// Screenshots go to artifacts/test-results/.
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output) : IDisposable
{
    private readonly Daemon _d = new();
    private readonly string _profile = Directory.CreateTempSubdirectory("mc-dash-chromium-").FullName;
    private Process? _dashboard;
    private readonly System.Text.StringBuilder _dashboardErr = new();
    private ChromeDriver? _browser;
    private static readonly string Results = Path.Combine(Daemon.Repo, "artifacts", "test-results");

    public void Dispose()
    {
        try { _browser?.Quit(); } catch (WebDriverException) { }
        _browser?.Dispose();
        if (_dashboard is { HasExited: false })
        {
            _dashboard.Kill();
            _dashboard.WaitForExit();
        }
        _dashboard?.Dispose();
        lock (_dashboardErr) output.WriteLine("--- dashboard stderr ---\n" + _dashboardErr);
        _d.Dispose();
        Directory.Delete(_profile, recursive: true);
    }

    /// <summary>Starts the dashboard on a free loopback port (port 0) and returns the URL it printed.</summary>
    private string StartDashboard()
    {
        var psi = Daemon.CliAtATerminal("-H", _d.Host, "--no-autostart", "dashboard", "--listen", "127.0.0.1:0");
        _dashboard = Process.Start(psi)!;
        _dashboard.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_dashboardErr) _dashboardErr.AppendLine(e.Data); };
        _dashboard.BeginErrorReadLine();
        var line = _dashboard.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(20)) || line.Result is null)
            lock (_dashboardErr) Assert.Fail("the dashboard printed no URL: " + _dashboardErr);
        output.WriteLine("dashboard: " + line.Result);
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{32}$", line.Result);
        return line.Result!;
    }

    private ChromeDriver StartChromium()
    {
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        // The tests run as root, and Chromium's own sandbox refuses to start as root. --no-sandbox is acceptable here
        // only: this browser loads nothing but the test's own page from 127.0.0.1 and is thrown away with its profile.
        // Never browse untrusted pages like this.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1600,1400",
            $"--user-data-dir={_profile}");
        // Both paths given, so Selenium never runs its Selenium Manager (which would look for drivers online).
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private void Screenshot(string file)
    {
        Directory.CreateDirectory(Results);
        _browser!.GetScreenshot().SaveAsFile(Path.Combine(Results, file));
    }

    // The page redraws its cards and graph every second, so an element found a moment ago may be gone: each read
    // below is one script in the page, atomic against the redraw.
    private string? Text(string css) =>
        (string?)_browser!.ExecuteScript("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css);

    private string? Attribute(string css, string name) =>
        (string?)_browser!.ExecuteScript("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", css, name);

    private string WaitForText(string css, Func<string, bool> condition, string what)
    {
        string? text = null;
        Support.WaitUntil(() => (text = Text(css)) is not null && condition(text), Support.TimeLimit(20), what);
        return text!;
    }

    private void Click(string css) => Support.WaitUntil(() =>
    {
        try { _browser!.FindElement(By.CssSelector(css)).Click(); return true; }
        catch (StaleElementReferenceException) { return false; }
    }, Support.TimeLimit(10), "a click on " + css);

    [Fact]
    public void Chromium_shows_a_container_its_limit_and_network_edge_and_its_stop_within_2_s()
    {
        string net = Support.Unique("mcd-net"), name = Support.Unique("dash"), marked = Support.Unique("dashmark");
        int port = LocalRegistry.FreePort();
        _d.Run("network", "create", net).Ok();
        _d.Run("run", "-d", "--explain=json", "--name", name, "-m", "32m", "--network", net, "-p", $"127.0.0.1:{port}:80", "busybox", "sleep", "1000").Ok();
        const string markup = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>";
        _d.Run("run", "-d", "--name", marked, "--label", "note=" + markup, "busybox", "sh", "-c", "echo '<b>x</b>'; sleep 1000").Ok();
        string ip = _d.Run("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}", name).Ok().Stdout.Trim();

        string url = StartDashboard();
        _browser = StartChromium();
        _browser.Navigate().GoToUrl(url);

        // The container's card: running, with the cgroup's 32 MiB limit and its namespaces.
        string card = $"article.card[data-container=\"{name}\"]";
        Support.WaitUntil(() => Attribute(card, "data-state") == "running", Support.TimeLimit(20), "the container's card, running");
        WaitForText($"{card} .mem-limit", t => t == "32 MiB", "the memory gauge's 32 MiB limit");
        WaitForText($"{card} .namespaces", t => t.Contains("net:") && t.Contains("pid:") && t.Contains("mnt:"), "the namespace set");

        // The network graph: the container's edge to its network's bridge (the veth pair), its address, its port.
        string edge = WaitForText($"#graph g.edge[data-network=\"{net}\"][data-container=\"{name}\"]", t => t.Contains('⇄'), "the veth edge");
        output.WriteLine("edge: " + edge);
        Assert.StartsWith($"{_d.Bridge[..^1]}v", edge);   // the veth's host end, named with this daemon's veth prefix
        WaitForText($"#graph g.network[data-network=\"{net}\"] g.bridge", t => t.StartsWith($"bridge {_d.Bridge[..^1]}-"), "the network's bridge");
        WaitForText($"#graph g.network[data-network=\"{net}\"] g.node[data-container=\"{name}\"]", t => t.Contains(ip + "/"), "the address in its network");
        WaitForText($"#graph g.port[data-container=\"{name}\"][data-port=\"{port}\"]", t => t.Contains($"{port}→80/tcp"), "the published port");
        // The other container is on the default bridge only: drawn in that network's box, not in the user network's.
        WaitForText($"#graph g.network[data-network=\"bridge\"] g.node[data-container=\"{marked}\"]", _ => true, "the other network's box");
        Assert.Null(Text($"#graph g.network[data-network=\"{net}\"] g.node[data-container=\"{marked}\"]"));

        // Markup a container supplies is shown as text, and none of it ran or became an element.
        string markedCard = $"article.card[data-container=\"{marked}\"]";
        WaitForText($"{markedCard} .labels", t => t == "note=" + markup, "the label, as text");
        WaitForText($"{markedCard} .cmd", t => t.Contains("echo '<b>x</b>'"), "the command, as text");
        Assert.Equal(true, _browser.ExecuteScript("return window.pwned === undefined && document.querySelectorAll('img, #containers script, .cmd b').length === 0"));

        // A click shows the kernel view (the limit file as the kernel holds it) and the explain log (run with --explain).
        Click($"{card} .name");
        string details = WaitForText("#details", t => t.Contains("33554432"), "the kernel view after a click");
        Assert.Equal(false, _browser.ExecuteScript("return document.getElementById('details').hidden"));
        Assert.Contains("explain log", details);
        Assert.Contains("$ echo 33554432 > ", details);   // the recorded cgroup write, from the explain log
        Assert.Contains("namespace", details);
        Screenshot("dashboard-details.png");
        Click("#details .close");
        Screenshot("dashboard.png");

        // `stop`: the card and the graph show it stopped within 2 s of the command returning.
        _d.Run("stop", "-t", "0", name).Ok();
        var clock = Stopwatch.StartNew();
        Support.WaitUntil(() => Attribute(card, "data-state") == "exited", TimeSpan.FromSeconds(10), "the card to show the container exited");
        var elapsed = clock.Elapsed;
        output.WriteLine($"shown as exited after {elapsed.TotalMilliseconds:F0} ms");
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"the page showed the stop after {elapsed.TotalMilliseconds:F0} ms");
        Assert.Contains("stopped", Attribute($"#graph g.node[data-container=\"{name}\"]", "class"));
        Assert.Contains("die", Text("#ticker"));
        Screenshot("dashboard-stopped.png");

        // Ctrl+C (SIGINT) ends the dashboard cleanly.
        Daemon.Exec("kill", ["-INT", _dashboard!.Id.ToString()]);
        Assert.True(_dashboard.WaitForExit(10_000), "the dashboard did not stop on SIGINT");
        Assert.Equal(0, _dashboard.ExitCode);
    }
}
