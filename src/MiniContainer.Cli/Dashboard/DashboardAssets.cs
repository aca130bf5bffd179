namespace MiniContainer.Cli.Dashboard;

/// <summary>The page's files (Dashboard/Assets/), embedded in the CLI binary: no build step, nothing on disk to find.
/// Read only when the dashboard serves them, so other commands never pay for them.</summary>
internal static class DashboardAssets
{
    public static byte[] Read(string name)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream("dashboard/" + name)
            ?? throw new InvalidOperationException($"the dashboard asset {name} is not embedded in this build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
