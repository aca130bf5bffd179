namespace MiniContainer.Build;

/// <summary>ADD https://…: the file is fetched (30 s at most) and added with mode 0600, named after the URL's last path segment.</summary>
public static class RemoteFile
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<CopyStep.Source> FetchAsync(string url, string scratchDir)
    {
        string name = Uri.TryCreate(url, UriKind.Absolute, out var uri) && Path.GetFileName(uri.AbsolutePath) is { Length: > 0 } n ? n : "download";
        string file = Path.Combine(scratchDir, name);
        try
        {
            using var response = await Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode)
                throw new BuildException($"ADD failed: failed to GET {url} with status {(int)response.StatusCode} {response.ReasonPhrase}");
            await using (var output = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
                await (await response.Content.ReadAsStreamAsync()).CopyToAsync(output);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or InvalidOperationException)
        {
            throw new BuildException($"ADD failed: cannot fetch {url}: {e.Message}");
        }
        return new CopyStep.Source(file, name, false);
    }
}
