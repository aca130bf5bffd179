using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Api;

/// <summary>
/// Registry credentials in the docker CLI's own file, so `docker login` and `minicontainer login` share them:
/// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json (under sudo that is root's, as for docker), with
/// "auths": {"127.0.0.1:5000": {"auth": base64("user:password")}} and Docker Hub under "https://index.docker.io/v1/".
/// Other keys in the file are kept. Written to a temp file with mode 0600 and renamed over the old one.
/// </summary>
internal sealed class DockerConfigFile(string path)
{
    public const string DockerHubKey = "https://index.docker.io/v1/";

    public string Path { get; } = path;

    public static DockerConfigFile Default()
    {
        string dir = Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } d ? d
            : System.IO.Path.Combine(Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return new DockerConfigFile(System.IO.Path.Combine(dir, "config.json"));
    }

    /// <summary>The key credentials are filed under: the registry's host[:port], or Docker Hub's historic URL.</summary>
    public static string KeyFor(string? server)
    {
        if (string.IsNullOrWhiteSpace(server)) return DockerHubKey;
        string s = server.Trim();
        if (s.Contains("://", StringComparison.Ordinal)) s = s[(s.IndexOf("://", StringComparison.Ordinal) + 3)..];
        s = s.TrimEnd('/');
        if (s.IndexOf('/') is int slash and >= 0) s = s[..slash];
        return s is "docker.io" or "index.docker.io" or "registry-1.docker.io" ? DockerHubKey : s;
    }

    /// <summary>The registry domain of an image name ("busybox" → docker.io, "127.0.0.1:5000/app" → 127.0.0.1:5000).</summary>
    public static string RegistryOf(string imageName)
    {
        int slash = imageName.IndexOf('/');
        if (slash < 0) return DockerHubKey;
        string first = imageName[..slash];
        return first.Contains('.') || first.Contains(':') || first == "localhost" ? KeyFor(first) : DockerHubKey;
    }

    /// <summary>config.json's "detachKeys" (the docker CLI's default for attach, run and exec), or null.</summary>
    public static string? DetachKeys() =>
        Default().Read()["detachKeys"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public (string User, string Password)? Get(string key)
    {
        if (Read()["auths"] is not JsonObject auths || auths[key] is not JsonObject entry) return null;
        if (entry["auth"] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            try
            {
                string pair = Encoding.UTF8.GetString(Convert.FromBase64String(v.GetValue<string>()));
                int colon = pair.IndexOf(':');
                if (colon > 0) return (pair[..colon], pair[(colon + 1)..]);
            }
            catch (FormatException) { }
        }
        return null;
    }

    public void Store(string key, string user, string password)
    {
        var root = Read();
        if (root["auths"] is not JsonObject auths) root["auths"] = auths = new JsonObject();
        auths[key] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")) };
        Write(root);
    }

    /// <summary>Removes the credentials; false when there were none.</summary>
    public bool Remove(string key)
    {
        var root = Read();
        if (root["auths"] is not JsonObject auths || !auths.Remove(key)) return false;
        Write(root);
        return true;
    }

    /// <summary>X-Registry-Auth for a pull or push: base64url JSON of the stored credentials, or of {} when there are none.</summary>
    public string RegistryAuthHeader(string key)
    {
        var auth = new JsonObject();
        if (Get(key) is var (user, password)) { auth["username"] = user; auth["password"] = password; auth["serveraddress"] = key; }
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(auth.ToJsonString())).Replace('+', '-').Replace('/', '_');
    }

    private JsonObject Read()
    {
        try { return File.Exists(Path) ? JsonNode.Parse(File.ReadAllText(Path)) as JsonObject ?? new JsonObject() : new JsonObject(); }
        catch (JsonException e) { throw new ExitException(ExitCodes.Error, $"error loading config file {Path}: {e.Message}"); }
    }

    private void Write(JsonObject root)
    {
        string dir = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(dir);
        string temp = System.IO.Path.Combine(dir, $".config.json.tmp-{Environment.ProcessId}");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        try
        {
            using (var file = new FileStream(temp, options))
            {
                file.Write(Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
                file.Flush(flushToDisk: true);
            }
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temp, Path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
