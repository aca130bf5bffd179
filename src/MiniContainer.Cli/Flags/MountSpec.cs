using System.Text;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Flags;

/// <summary>
/// docker's --mount: one CSV record of key=value fields ("type=volume,src=data,dst=/data,readonly") →
/// a HostConfig.Mounts entry {Type, Source, Target, ReadOnly, BindOptions, VolumeOptions, TmpfsOptions}.
/// The type defaults to volume; keys are case-insensitive, as in docker. Errors are docker's words,
/// thrown as <see cref="FormatException"/> for the caller to wrap in "invalid argument … for "--mount" flag: …".
/// </summary>
internal static class MountSpec
{
    public static JsonObject Parse(string spec, Func<string, string>? fullPath = null)
    {
        fullPath ??= Path.GetFullPath;
        string type = "volume", source = "", target = "";
        bool readOnly = false;
        string? consistency = null;
        JsonObject? bind = null, volume = null, tmpfs = null;
        JsonObject Bind() => bind ??= [];
        JsonObject Volume() => volume ??= [];
        JsonObject Tmpfs() => tmpfs ??= [];

        foreach (string field in SplitCsv(spec))
        {
            int eq = field.IndexOf('=');
            string key = (eq < 0 ? field : field[..eq]).ToLowerInvariant();
            if (eq < 0)
            {
                switch (key)
                {
                    case "readonly" or "ro": readOnly = true; continue;
                    case "volume-nocopy": Volume()["NoCopy"] = true; continue;
                    case "bind-nonrecursive": Bind()["NonRecursive"] = true; continue;
                    default: throw new FormatException($"invalid field '{field}' must be a key=value pair");
                }
            }

            string value = field[(eq + 1)..];
            switch (key)
            {
                case "type":
                    type = value.ToLowerInvariant();
                    if (type is not ("bind" or "volume" or "tmpfs")) throw new FormatException($"invalid mount type \"{value}\"");
                    break;
                case "source" or "src":
                    // docker makes "./dir" and "." absolute on the client: the daemon's working directory is not ours.
                    source = value == "." || value.StartsWith("./", StringComparison.Ordinal) ? fullPath(value) : value;
                    break;
                case "target" or "dst" or "destination":
                    target = value;
                    break;
                case "readonly" or "ro":
                    readOnly = Bool(value) ?? throw new FormatException($"invalid value for {key}: {value}");
                    break;
                case "consistency":
                    consistency = value.ToLowerInvariant();
                    break;
                case "bind-propagation":
                    Bind()["Propagation"] = value.ToLowerInvariant();
                    break;
                case "bind-nonrecursive":
                    Bind()["NonRecursive"] = Bool(value) ?? throw new FormatException($"invalid value for {key}: {value}");
                    break;
                case "volume-nocopy":
                    Volume()["NoCopy"] = Bool(value) ?? throw new FormatException($"invalid value for volume-nocopy: {value}");
                    break;
                case "volume-label":
                    SetOnMap(Volume(), "Labels", value);
                    break;
                case "volume-driver":
                    DriverConfig(Volume())["Name"] = value;
                    break;
                case "volume-opt":
                    SetOnMap(DriverConfig(Volume()), "Options", value);
                    break;
                case "volume-subpath":
                    Volume()["Subpath"] = value;
                    break;
                case "tmpfs-size":
                    if (!MemorySize.TryParse(value, out long size)) throw new FormatException($"invalid value for {key}: {value}");
                    Tmpfs()["SizeBytes"] = size;
                    break;
                case "tmpfs-mode":
                    uint mode;
                    try { mode = Convert.ToUInt32(value, 8); }
                    catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { throw new FormatException($"invalid value for {key}: {value}"); }
                    if (value.Length == 0 || value[0] is '+' or '-') throw new FormatException($"invalid value for {key}: {value}");
                    Tmpfs()["Mode"] = mode;
                    break;
                default:
                    throw new FormatException($"unexpected key '{key}' in '{field}'");
            }
        }

        if (target.Length == 0) throw new FormatException("target is required");
        if (volume is not null && type != "volume") throw new FormatException($"cannot mix 'volume-*' options with mount type '{type}'");
        if (bind is not null && type != "bind") throw new FormatException($"cannot mix 'bind-*' options with mount type '{type}'");
        if (tmpfs is not null && type != "tmpfs") throw new FormatException($"cannot mix 'tmpfs-*' options with mount type '{type}'");

        var mount = new JsonObject { ["Type"] = type };
        if (source.Length > 0) mount["Source"] = source;
        mount["Target"] = target;
        if (readOnly) mount["ReadOnly"] = true;
        if (consistency is not null) mount["Consistency"] = consistency;
        if (bind is not null) mount["BindOptions"] = bind;
        if (volume is not null) mount["VolumeOptions"] = volume;
        if (tmpfs is not null) mount["TmpfsOptions"] = tmpfs;
        return mount;
    }

    /// <summary>Go's strconv.ParseBool.</summary>
    static bool? Bool(string s) => s switch
    {
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => null,
    };

    static JsonObject DriverConfig(JsonObject volume)
        => volume["DriverConfig"] as JsonObject ?? (JsonObject)(volume["DriverConfig"] = new JsonObject());

    /// <summary>"k=v" (or "k", an empty value) into the map <paramref name="name"/> of <paramref name="owner"/>.</summary>
    static void SetOnMap(JsonObject owner, string name, string pair)
    {
        if (owner[name] is not JsonObject map) owner[name] = map = [];
        int eq = pair.IndexOf('=');
        string key = eq < 0 ? pair : pair[..eq];
        if (key.Length == 0) return;
        map[key] = eq < 0 ? "" : pair[(eq + 1)..];
    }

    /// <summary>
    /// One record of Go's encoding/csv, which docker reads --mount with: fields split on ',', a field in double
    /// quotes may hold commas, "" is a quote inside it.
    /// </summary>
    internal static List<string> SplitCsv(string text)
    {
        if (text.Length == 0) throw new FormatException("EOF");
        var fields = new List<string>();
        var field = new StringBuilder();
        int i = 0;
        while (true)
        {
            field.Clear();
            if (i < text.Length && text[i] == '"')
            {
                int start = i;
                i++;
                while (true)
                {
                    if (i >= text.Length)
                        throw new FormatException($"parse error on line 1, column {start + 1}: extraneous or missing \" in quoted-field");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(text[i++]);
                }
                if (i < text.Length && text[i] != ',')
                    throw new FormatException($"parse error on line 1, column {i + 1}: extraneous or missing \" in quoted-field");
            }
            else
            {
                while (i < text.Length && text[i] != ',')
                {
                    if (text[i] == '"') throw new FormatException($"parse error on line 1, column {i + 1}: bare \" in non-quoted-field");
                    field.Append(text[i++]);
                }
            }
            fields.Add(field.ToString());
            if (i >= text.Length) return fields;
            i++;   // the comma
        }
    }
}
