namespace MiniContainer.Cli.Compose;

/// <summary>
/// The order compose starts services in: every service after the ones it depends on, otherwise in file order.
/// A cycle is an error that names its services in order: "a -> b -> a".
/// </summary>
internal static class DependencyOrder
{
    /// <summary>Services in start order (dependencies first). Dependencies outside <paramref name="services"/> (disabled, optional) are skipped.</summary>
    public static List<ComposeService> Sort(IReadOnlyDictionary<string, ComposeService> services)
    {
        var order = new List<ComposeService>();
        var done = new HashSet<string>();
        var path = new List<string>();
        foreach (var name in services.Keys) Visit(name, services, done, path, order);
        return order;
    }

    static void Visit(string name, IReadOnlyDictionary<string, ComposeService> services, HashSet<string> done, List<string> path, List<ComposeService> order)
    {
        if (done.Contains(name) || !services.TryGetValue(name, out var service)) return;
        int at = path.IndexOf(name);
        if (at >= 0)
            throw new ComposeFileException($"dependency cycle detected: {string.Join(" -> ", path.Skip(at).Append(name))}");
        path.Add(name);
        foreach (var (dep, _) in service.DependsOn) Visit(dep, services, done, path, order);
        path.RemoveAt(path.Count - 1);
        done.Add(name);
        order.Add(service);
    }

    /// <summary>
    /// <paramref name="selected"/> and, unless <paramref name="noDeps"/>, everything they depend on, in start order.
    /// </summary>
    public static List<ComposeService> Closure(IReadOnlyDictionary<string, ComposeService> services, IReadOnlyCollection<string> selected, bool noDeps)
    {
        if (selected.Count == 0) return Sort(services);
        var wanted = new HashSet<string>();
        void Add(string name)
        {
            if (!wanted.Add(name) || noDeps) return;
            foreach (var (dep, _) in services[name].DependsOn) if (services.ContainsKey(dep)) Add(dep);
        }
        foreach (string s in selected) Add(s);
        return Sort(services).Where(s => wanted.Contains(s.Name)).ToList();
    }
}
