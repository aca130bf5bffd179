using System.Text.Json.Nodes;

namespace MiniContainer.Build;

/// <summary>HEALTHCHECK [--interval=… --timeout=… --start-period=… --start-interval=… --retries=N] CMD … | NONE,
/// as the config's "Healthcheck" ({"Test": ["CMD-SHELL", "…"], "Interval": nanoseconds, …}).</summary>
public static class Healthcheck
{
    public static JsonObject Parse(Instruction ins)
    {
        string args = ins.Args.Trim();
        if (args.Equals("NONE", StringComparison.OrdinalIgnoreCase))
        {
            if (ins.Flags.Count > 0) throw new BuildException("HEALTHCHECK NONE takes no options");
            return new JsonObject { ["Test"] = new JsonArray("NONE") };
        }
        int space = args.IndexOfAny([' ', '\t']);
        string type = (space < 0 ? args : args[..space]).ToUpperInvariant();
        string command = space < 0 ? "" : args[space..].Trim();
        if (type != "CMD") throw new BuildException($"Unknown type \"{type}\" in HEALTHCHECK (try CMD)");
        if (command.Length == 0) throw new BuildException("Missing command after HEALTHCHECK CMD");
        var test = DockerfileParser.TryJsonArray(command) is { } exec
            ? new JsonArray(new[] { "CMD" }.Concat(exec).Select(x => (JsonNode?)JsonValue.Create(x)).ToArray())
            : new JsonArray("CMD-SHELL", command);
        var result = new JsonObject { ["Test"] = test };
        foreach (var (flag, value) in ins.Flags)
        {
            switch (flag)
            {
                case "interval": result["Interval"] = Duration(flag, value); break;
                case "timeout": result["Timeout"] = Duration(flag, value); break;
                case "start-period": result["StartPeriod"] = Duration(flag, value); break;
                case "start-interval": result["StartInterval"] = Duration(flag, value); break;
                case "retries":
                    if (!int.TryParse(value, out int retries) || retries < 0) throw new BuildException($"--retries must be a non-negative number: {value}");
                    result["Retries"] = retries;
                    break;
                default: throw new BuildException($"Unknown flag: {flag}");
            }
        }
        return result;
    }

    /// <summary>Go durations: "30s", "1m30s", "500ms", "2h".</summary>
    public static long Duration(string flag, string text)
    {
        var m = System.Text.RegularExpressions.Regex.Matches(text, @"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)");
        if (m.Count == 0 || string.Concat(m.Select(x => x.Value)) != text) throw new BuildException($"--{flag}: invalid duration \"{text}\"");
        double ns = 0;
        foreach (System.Text.RegularExpressions.Match x in m)
            ns += double.Parse(x.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * x.Groups[2].Value switch
            {
                "ns" => 1, "us" or "µs" => 1e3, "ms" => 1e6, "s" => 1e9, "m" => 60e9, _ => 3600e9,
            };
        return (long)ns;
    }

    public static string Describe(JsonObject health) =>
        health["Test"] is JsonArray t && t.Count > 0 && (string?)t[0] == "NONE" ? "NONE"
        : "&{" + string.Join(" ", health.Select(kv => kv.Key == "Test" ? "[" + string.Join(' ', ((JsonArray)kv.Value!).Select(x => (string?)x)) + "]" : kv.Value!.ToJsonString())) + "}";
}
