using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// The YAML side of loading: each file read with YamlDotNet's RepresentationModel (YamlStream builds plain node
/// objects — no reflection, no serializer — which is why it is safe in the Native AOT CLI), its values interpolated,
/// its list-or-map keys put in map form, and the files merged into the first one's tree as compose v2 merges them.
/// Every node remembers the file it came from, so errors found later still name the file and line.
/// </summary>
internal sealed class ComposeSources
{
    readonly Dictionary<YamlNode, string> _origin = new(ReferenceEqualityComparer.Instance);

    /// <summary>The file <paramref name="node"/> came from (the first file for nodes the loader made).</summary>
    public string FileOf(YamlNode? node, string fallback) => node is not null && _origin.TryGetValue(node, out var f) ? f : fallback;

    /// <summary>Nodes the loader made in place of written ones (KEY=VALUE split into a key), mapped to the written node for its line.</summary>
    readonly Dictionary<YamlNode, YamlNode> _writtenAs = new(ReferenceEqualityComparer.Instance);

    public ComposeFileException Error(YamlNode node, string path, string message, string fallbackFile)
        => ComposeFileException.At(FileOf(node, fallbackFile), _writtenAs.GetValueOrDefault(node, node), path, message);

    /// <summary>Reads one file into a mapping, interpolating every value with <paramref name="interpolation"/>.</summary>
    public YamlMappingNode Load(string file, string display, Interpolation interpolation)
    {
        string text;
        try { text = File.ReadAllText(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ComposeFileException($"{display}: {e.Message}");
        }
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e)
        {
            throw ComposeFileException.At(display, e.Start, "yaml", (e.InnerException?.Message ?? e.Message).Trim());
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            throw new ComposeFileException($"{display}: empty compose file");
        if (stream.Documents.Count > 1) throw ComposeFileException.At(display, stream.Documents[1].RootNode, "yaml", "a compose file holds one document");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw ComposeFileException.At(display, stream.Documents[0].RootNode, "(root)", "a compose file must be a mapping of top-level keys");
        Walk(root, "", display, interpolation);
        ExpandMergeKeys(root, display);
        Normalize(root, display);
        return root;
    }

    /// <summary>Records each node's file and substitutes variables in every scalar value (keys stay as written).</summary>
    void Walk(YamlNode node, string path, string file, Interpolation interpolation)
    {
        _origin[node] = file;
        switch (node)
        {
            case YamlScalarNode s when s.Value is not null:
                // Extension fields (x-…) are for anchors only: compose does not interpolate what it never reads.
                if (path.StartsWith("x-", StringComparison.Ordinal) || path.Contains(".x-", StringComparison.Ordinal)) return;
                // An anchored value used through several aliases is one node: substitute in it once ($$ must stay one $).
                if (!_interpolated.Add(s)) return;
                try { s.Value = interpolation.Apply(s.Value); }
                catch (FormatException e) { throw ComposeFileException.At(file, s, path, e.Message); }
                break;
            case YamlMappingNode m:
                foreach (var (k, v) in m.Children)
                {
                    _origin[k] = file;
                    Walk(v, Join(path, KeyText(k)), file, interpolation);
                }
                break;
            case YamlSequenceNode q:
                for (int i = 0; i < q.Children.Count; i++) Walk(q.Children[i], $"{path}[{i}]", file, interpolation);
                break;
        }
    }

    readonly HashSet<YamlNode> _interpolated = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// YAML merge keys, as compose files use them with anchors (<c>&lt;&lt;: *defaults</c>): the merged mapping's entries
    /// (or those of each mapping in a list, the first winning) are copied in where the mapping has no entry of its own.
    /// Copies, not shared nodes, so merging a later -f file into one service leaves the others alone.
    /// </summary>
    void ExpandMergeKeys(YamlNode node, string file)
    {
        switch (node)
        {
            case YamlMappingNode m:
                var mergeKey = m.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: "<<", Style: not (ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) });
                if (mergeKey is not null)
                {
                    var value = m.Children[mergeKey];
                    m.Children.Remove(mergeKey);
                    var sources = value is YamlSequenceNode q ? q.Children.ToList() : [value];
                    foreach (var source in sources)
                    {
                        if (source is not YamlMappingNode from) throw Error(source, "<<", "a merge key takes a mapping or a list of mappings", file);
                        foreach (var (k, v) in from.Children)
                            if (!m.Children.ContainsKey(k)) m.Children.Add(Clone(k, file), Clone(v, file));
                    }
                }
                foreach (var (_, v) in m.Children.ToList()) ExpandMergeKeys(v, file);
                break;
            case YamlSequenceNode seq:
                foreach (var item in seq.Children) ExpandMergeKeys(item, file);
                break;
        }
    }

    /// <summary>A deep copy that still reports the original's line in errors.</summary>
    YamlNode Clone(YamlNode node, string file)
    {
        YamlNode copy = node switch
        {
            YamlScalarNode s => new YamlScalarNode(s.Value) { Style = s.Style },
            YamlSequenceNode q => new YamlSequenceNode(q.Children.Select(c => Clone(c, file))),
            YamlMappingNode m => new YamlMappingNode(m.Children.Select(kv => new KeyValuePair<YamlNode, YamlNode>(Clone(kv.Key, file), Clone(kv.Value, file)))),
            _ => node,
        };
        _origin[copy] = FileOf(node, file);
        _writtenAs[copy] = _writtenAs.GetValueOrDefault(node, node);
        return copy;
    }

    internal static string KeyText(YamlNode key) => key is YamlScalarNode { Value: { } v } ? v : "?";
    internal static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    /// <summary>
    /// The keys that may be a list or a map become maps, so two files can merge them whichever spelling each used:
    /// environment and labels (KEY=VALUE items), depends_on (service names), a service's networks (network names).
    /// </summary>
    void Normalize(YamlMappingNode root, string file)
    {
        if (Child(root, "services") is not YamlMappingNode services) return;
        foreach (var (_, node) in services.Children)
        {
            if (node is not YamlMappingNode service) continue;
            foreach (string key in new[] { "environment", "labels" })
                if (Child(service, key) is YamlSequenceNode list) Set(service, key, KeyValueMap(list, file));
            if (Child(service, "build") is YamlMappingNode build && Child(build, "args") is YamlSequenceNode args) Set(build, "args", KeyValueMap(args, file));
            foreach (string key in new[] { "depends_on", "networks" })
                if (Child(service, key) is YamlSequenceNode names)
                {
                    var map = Made(new YamlMappingNode(), file);
                    foreach (var item in names.Children)
                    {
                        if (item is not YamlScalarNode { Value: { Length: > 0 } }) continue;   // reported by the reader
                        if (!map.Children.ContainsKey(item))
                            map.Children.Add(item, Made<YamlNode>(key == "depends_on"
                                ? new YamlMappingNode { { "condition", "service_started" } }
                                : new YamlScalarNode(null), file));
                    }
                    Set(service, key, map);
                }
        }
    }

    YamlMappingNode KeyValueMap(YamlSequenceNode list, string file)
    {
        var map = Made(new YamlMappingNode(), file);
        foreach (var item in list.Children)
        {
            if (item is not YamlScalarNode { Value: { } text }) { map.Children.Add(Made(new YamlScalarNode("?"), file), item); continue; }
            int eq = text.IndexOf('=');
            var key = Made(new YamlScalarNode(eq < 0 ? text : text[..eq]), file);
            _writtenAs[key] = item;
            var value = Made(new YamlScalarNode(eq < 0 ? null : text[(eq + 1)..]), file);
            map.Children.Remove(key);
            map.Children.Add(key, value);
        }
        return map;
    }

    T Made<T>(T node, string file) where T : YamlNode { _origin[node] = file; return node; }

    // ───────────── merging (-f a.yaml -f b.yaml) ─────────────

    /// <summary>
    /// Merges <paramref name="over"/> into <paramref name="base"/> as compose v2 does: mappings key by key (environment,
    /// labels, build args… are maps by now), scalars replaced, command/entrypoint/healthcheck test replaced whole,
    /// ports and expose added unless already there, volumes keyed by their container path, other lists added unless already there.
    /// </summary>
    public static void Merge(YamlMappingNode @base, YamlMappingNode over, string path = "")
    {
        foreach (var (key, value) in over.Children)
        {
            string childPath = Join(path, KeyText(key));
            if (!@base.Children.TryGetValue(key, out var existing)) { @base.Children.Add(key, value); continue; }
            if (existing is YamlMappingNode em && value is YamlMappingNode om) Merge(em, om, childPath);
            else if (existing is YamlSequenceNode es && value is YamlSequenceNode os && !Replaces(childPath)) MergeSequence(es, os, childPath);
            else ReplaceValue(@base, key, value);
        }
    }

    static bool Replaces(string path) => IsServiceKey(path, "command") || IsServiceKey(path, "entrypoint") || path.EndsWith(".healthcheck.test", StringComparison.Ordinal);

    static bool IsServiceKey(string path, string key)
        => path.StartsWith("services.", StringComparison.Ordinal) && path.EndsWith("." + key, StringComparison.Ordinal) && path.Count(c => c == '.') == 2;

    static void MergeSequence(YamlSequenceNode @base, YamlSequenceNode over, string path)
    {
        Func<YamlNode, string> identity = IsServiceKey(path, "volumes") ? VolumeTarget : Canonical;
        foreach (var item in over.Children)
        {
            string id = identity(item);
            int at = @base.Children.ToList().FindIndex(b => identity(b) == id);
            if (at >= 0) @base.Children[at] = item; else @base.Children.Add(item);
        }
    }

    /// <summary>A volume entry's container path: "src:/dst:ro" → /dst, {target: /dst} → /dst.</summary>
    static string VolumeTarget(YamlNode node) => node switch
    {
        YamlScalarNode { Value: { } v } => VolumeSyntax.SplitShort(v).Target,
        YamlMappingNode m when Child(m, "target") is YamlScalarNode { Value: { } t } => t,
        _ => Canonical(node),
    };

    /// <summary>A node's content as text, to compare list items.</summary>
    static string Canonical(YamlNode node) => node switch
    {
        YamlScalarNode s => "s:" + s.Value,
        YamlMappingNode m => "{" + string.Join(",", m.Children.Select(kv => KeyText(kv.Key) + "=" + Canonical(kv.Value)).Order()) + "}",
        YamlSequenceNode q => "[" + string.Join(",", q.Children.Select(Canonical)) + "]",
        _ => "?",
    };

    internal static YamlNode? Child(YamlMappingNode map, string key)
        => map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    static void Set(YamlMappingNode map, string key, YamlNode value)
    {
        var k = map.Children.Keys.First(n => KeyText(n) == key);
        ReplaceValue(map, k, value);
    }

    /// <summary>Replaces a value in place, keeping the key's position (YamlMappingNode keeps insertion order).</summary>
    static void ReplaceValue(YamlMappingNode map, YamlNode key, YamlNode value)
    {
        var items = map.Children.ToList();
        map.Children.Clear();
        foreach (var (k, v) in items) map.Children.Add(k, k.Equals(key) ? value : v);
    }
}
