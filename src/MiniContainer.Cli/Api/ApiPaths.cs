namespace MiniContainer.Cli.Api;

/// <summary>Names in URL paths and queries. Image names keep their '/' and ':' (busybox:latest, localhost:5000/app), as docker's client sends them.</summary>
internal static class ApiPaths
{
    public static string Segment(string value)
        => Uri.EscapeDataString(value).Replace("%2F", "/").Replace("%3A", ":").Replace("%40", "@");

    public static string Query(string value) => Uri.EscapeDataString(value);

    public static string Container(string idOrName) => "/containers/" + Segment(idOrName);
    public static string Image(string name) => "/images/" + Segment(name);
    /// <summary>Volume names never hold '/', so everything is escaped.</summary>
    public static string Volume(string name) => "/volumes/" + Uri.EscapeDataString(name);
}
