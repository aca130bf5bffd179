using System.Diagnostics;
using System.Reflection;
using System.Xml.Linq;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace MiniContainer.NativeTests.Harness;

/// <summary>
/// Runs this assembly's tests in this process, without VSTest: <c>dotnet MiniContainer.NativeTests.dll
/// [--filter EXPR] [--trx FILE]</c>. `dotnet test` on the host does not use it (VSTest loads the assembly as a
/// library); scripts/vm-test.sh does, because under software emulation starting `dotnet test`, vstest.console
/// and a testhost costs minutes of JIT before the first test, while this is one runtime and xunit's own engine.
/// Prints one line per test (failures with message, stack and output) and "N passed, N failed, N skipped";
/// exit code 0 when nothing failed. <c>--list</c> only lists the tests the filter selects.
/// </summary>
public static class LaneRunner
{
    public static int Main(string[] args)
    {
        string filterText = "", trx = "";
        bool listOnly = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--filter" when i + 1 < args.Length: filterText = args[++i]; break;
                case "--trx" when i + 1 < args.Length: trx = args[++i]; break;
                case "--list": listOnly = true; break;
                default:
                    Console.Error.WriteLine($"usage: dotnet MiniContainer.NativeTests.dll [--filter EXPR] [--trx FILE] [--list] (unknown argument \"{args[i]}\")");
                    return 2;
            }
        }
        TestFilter filter;
        try { filter = TestFilter.Parse(filterText); }
        catch (FormatException e) { Console.Error.WriteLine(e.Message); return 2; }

        var clock = Stopwatch.StartNew();
        Assembly assembly = typeof(LaneRunner).Assembly;
        var framework = new XunitTestFramework(new Sink(_ => { }));
        var options = new Options();

        var testCases = new List<ITestCase>();
        using var discovered = new ManualResetEvent(false);
        var found = new Sink(m =>
        {
            if (m is ITestCaseDiscoveryMessage d) lock (testCases) testCases.Add(d.TestCase);
            if (m is IDiscoveryCompleteMessage) discovered.Set();
        });
        using (ITestFrameworkDiscoverer discoverer = framework.GetDiscoverer(Reflector.Wrap(assembly)))
        {
            discoverer.Find(includeSourceInformation: false, found, options);
            discovered.WaitOne();
        }
        List<ITestCase> selected = testCases.Where(tc => filter.Matches(name => PropertyOf(tc, name))).ToList();
        Console.WriteLine($"lane runner: {selected.Count} of {testCases.Count} tests match \"{filterText}\" (discovered in {clock.Elapsed.TotalSeconds:0.0} s)");
        if (listOnly)
        {
            foreach (ITestCase tc in selected) Console.WriteLine("  " + tc.DisplayName);
            return 0;
        }

        var report = new Report();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => report.PrintRunning();  // e.g. `timeout` sent SIGTERM
        DateTime started = DateTime.UtcNow;
        using (ITestFrameworkExecutor executor = framework.GetExecutor(assembly.GetName()))
        {
            var sink = new Sink(report.On);
            executor.RunTests(selected, sink, options);
            report.Done.WaitOne();
        }
        report.PrintSummary(clock.Elapsed);
        if (trx != "") report.WriteTrx(trx, started, DateTime.UtcNow);
        return report.Failed == 0 && selected.Count > 0 ? 0 : 1;
    }

    /// <summary>The values a filter condition sees, as VSTest's xunit adapter names them.</summary>
    private static IEnumerable<string> PropertyOf(ITestCase tc, string name) => name switch
    {
        "FullyQualifiedName" => [$"{tc.TestMethod.TestClass.Class.Name}.{tc.TestMethod.Method.Name}"],
        "Name" or "DisplayName" => [tc.DisplayName],
        _ => tc.Traits.TryGetValue(name, out List<string>? values) ? values : [],
    };

    /// <summary>xunit's options bags: every option at its default.</summary>
    private sealed class Options : ITestFrameworkDiscoveryOptions, ITestFrameworkExecutionOptions
    {
        private readonly Dictionary<string, object?> _values = new();
        public TValue GetValue<TValue>(string name) => _values.TryGetValue(name, out object? v) && v is TValue t ? t : default!;
        public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
    }

    private sealed class Sink(Action<IMessageSinkMessage> on) : Xunit.LongLivedMarshalByRefObject, IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message) { on(message); return true; }
    }

    /// <summary>Results as they come: console lines now, a TRX file at the end.</summary>
    private sealed class Report
    {
        private sealed record Result(string Name, string Outcome, decimal Seconds, string Output, string? Message, string? Stack);
        private readonly List<Result> _results = [];
        private readonly HashSet<string> _running = [];
        private readonly List<string> _errors = [];
        public readonly ManualResetEvent Done = new(false);
        public int Failed => _results.Count(r => r.Outcome == "Failed") + _errors.Count;

        public void On(IMessageSinkMessage m)
        {
            lock (this)
            {
                switch (m)
                {
                    case ITestStarting s: _running.Add(s.Test.DisplayName); break;
                    case ITestPassed p: Add(new(p.Test.DisplayName, "Passed", p.ExecutionTime, p.Output, null, null)); break;
                    case ITestFailed f:
                        Add(new(f.Test.DisplayName, "Failed", f.ExecutionTime, f.Output,
                            string.Join("\n---- ", f.Messages.Zip(f.ExceptionTypes, (msg, type) => $"{type}: {msg}")),
                            string.Join("\n----\n", f.StackTraces.Where(s => s != null))));
                        break;
                    case ITestSkipped k: Add(new(k.Test.DisplayName, "NotExecuted", 0, "", k.Reason, null)); break;
                    case ITestFinished t: _running.Remove(t.Test.DisplayName); break;
                    case IErrorMessage e: Error("error", e); break;
                    case ITestClassCleanupFailure c: Error($"cleanup of {c.TestClass.Class.Name} failed", c); break;
                    case ITestCollectionCleanupFailure c: Error($"cleanup of {c.TestCollection.DisplayName} failed", c); break;
                    case ITestCleanupFailure c: Error($"cleanup of {c.Test.DisplayName} failed", c); break;
                    case ITestAssemblyFinished: Done.Set(); break;
                }
            }
        }

        private void Add(Result r)
        {
            _results.Add(r);
            string word = r.Outcome == "NotExecuted" ? "Skipped" : r.Outcome;
            Console.WriteLine($"  {word} {r.Name} [{r.Seconds:0.0} s]");
            if (r.Outcome == "NotExecuted") Console.WriteLine($"    reason: {r.Message}");
            if (r.Outcome != "Failed") return;
            Console.WriteLine($"    {r.Message}\n{Indent(r.Stack)}");
            if (r.Output.Length > 0) Console.WriteLine($"    output:\n{Indent(r.Output)}");
        }

        private void Error(string what, IFailureInformation f)
        {
            string text = $"{what}: {string.Join(" | ", f.ExceptionTypes.Zip(f.Messages, (t, msg) => $"{t}: {msg}"))}";
            _errors.Add(text);
            Console.WriteLine($"  Error {text}\n{Indent(string.Join("\n", f.StackTraces.Where(s => s != null)))}");
        }

        private static string Indent(string? text) =>
            string.Join("\n", (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "      " + l.TrimEnd()));

        public void PrintRunning()
        {
            lock (this)
                if (!Done.WaitOne(0) && _running.Count > 0)
                    Console.WriteLine($"lane runner: stopped while running: {string.Join(", ", _running)}");
        }

        public void PrintSummary(TimeSpan elapsed)
        {
            int passed = _results.Count(r => r.Outcome == "Passed"), skipped = _results.Count(r => r.Outcome == "NotExecuted");
            foreach (Result r in _results.Where(r => r.Outcome == "Failed")) Console.WriteLine($"lane runner: FAILED {r.Name}");
            foreach (string e in _errors) Console.WriteLine($"lane runner: {e}");
            Console.WriteLine($"lane runner: {passed} passed, {Failed} failed, {skipped} skipped in {elapsed.TotalSeconds:0} s");
        }

        /// <summary>A TRX file (the format `dotnet test --logger trx` writes) with the counters scripts/test.sh adds up.</summary>
        public void WriteTrx(string path, DateTime start, DateTime finish)
        {
            XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
            const string unitTestType = "13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b", listId = "8c84fa94-04c1-424b-9868-57a2d4851a1d";
            var rows = _results.Select(r => (r, testId: Guid.NewGuid().ToString(), execId: Guid.NewGuid().ToString())).ToList();
            int passed = _results.Count(r => r.Outcome == "Passed"), skipped = _results.Count(r => r.Outcome == "NotExecuted");
            var doc = new XDocument(new XElement(ns + "TestRun",
                new XAttribute("id", Guid.NewGuid()), new XAttribute("name", "vm lane " + start.ToString("s")),
                new XElement(ns + "Times", new XAttribute("creation", start.ToString("o")), new XAttribute("start", start.ToString("o")),
                    new XAttribute("finish", finish.ToString("o"))),
                new XElement(ns + "Results", rows.Select(x => new XElement(ns + "UnitTestResult",
                    new XAttribute("executionId", x.execId), new XAttribute("testId", x.testId), new XAttribute("testName", x.r.Name),
                    new XAttribute("computerName", Environment.MachineName),
                    new XAttribute("duration", TimeSpan.FromSeconds((double)x.r.Seconds).ToString("c")),
                    new XAttribute("outcome", x.r.Outcome), new XAttribute("testType", unitTestType), new XAttribute("testListId", listId),
                    new XElement(ns + "Output",
                        new XElement(ns + "StdOut", x.r.Output),
                        x.r.Outcome == "Passed" ? null : new XElement(ns + "ErrorInfo",
                            new XElement(ns + "Message", x.r.Message ?? ""), new XElement(ns + "StackTrace", x.r.Stack ?? "")))))),
                new XElement(ns + "TestDefinitions", rows.Select(x => new XElement(ns + "UnitTest",
                    new XAttribute("name", x.r.Name), new XAttribute("id", x.testId),
                    new XElement(ns + "Execution", new XAttribute("id", x.execId)),
                    new XElement(ns + "TestMethod", new XAttribute("codeBase", typeof(LaneRunner).Assembly.Location),
                        new XAttribute("className", x.r.Name[..Math.Max(0, x.r.Name.LastIndexOf('.'))]),
                        new XAttribute("name", x.r.Name[(x.r.Name.LastIndexOf('.') + 1)..]))))),
                new XElement(ns + "ResultSummary", new XAttribute("outcome", Failed == 0 ? "Completed" : "Failed"),
                    new XElement(ns + "Counters", new XAttribute("total", _results.Count + _errors.Count),
                        new XAttribute("executed", _results.Count - skipped), new XAttribute("passed", passed),
                        new XAttribute("failed", Failed), new XAttribute("error", _errors.Count),
                        new XAttribute("notExecuted", skipped)),
                    _errors.Count == 0 ? null : new XElement(ns + "RunInfos", _errors.Select(e => new XElement(ns + "RunInfo",
                        new XAttribute("outcome", "Error"), new XElement(ns + "Text", e)))))));
            string tmp = path + ".tmp";
            doc.Save(tmp);
            File.Move(tmp, path, overwrite: true);
        }
    }
}
