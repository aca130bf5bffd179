using System.Text.Json;

namespace MiniContainer.Cli.Flags;

/// <summary>
/// --security-opt as the docker CLI sends it: `seccomp=FILE` becomes `seccomp=` and the file's JSON (compacted),
/// because the daemon may not see the client's files; `systempaths=unconfined` becomes empty MaskedPaths and
/// ReadonlyPaths; everything else goes as typed, for the daemon to judge.
/// </summary>
internal static class SecurityOpts
{
    public static (List<string> Options, bool SystemPathsUnconfined) Prepare(IEnumerable<string> values)
    {
        var options = new List<string>();
        bool systemPathsUnconfined = false;
        foreach (string opt in values)
        {
            if (opt == "systempaths=unconfined") { systemPathsUnconfined = true; continue; }
            int sep = opt.IndexOf('=');
            if (sep < 0 && opt != "no-new-privileges") sep = opt.IndexOf(':');
            string key = sep < 0 ? opt : opt[..sep], value = sep < 0 ? "" : opt[(sep + 1)..];
            // "no-new-privileges" is the only option without a value.
            if (value.Length == 0 && key != "no-new-privileges") throw new UsageException($"Invalid --security-opt: \"{opt}\"");
            if (key == "seccomp" && value is not ("unconfined" or "builtin")) options.Add("seccomp=" + ReadProfile(value));
            else options.Add(opt);
        }
        return (options, systemPathsUnconfined);
    }

    private static string ReadProfile(string path)
    {
        byte[] content;
        try { content = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string why = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file or directory",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new UsageException($"opening seccomp profile ({path}) failed: open {path}: {why}");
        }
        try
        {
            using var doc = JsonDocument.Parse(content);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })) doc.WriteTo(writer);
            return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException e) { throw new UsageException($"compacting json for seccomp profile ({path}) failed: {e.Message}"); }
    }
}
