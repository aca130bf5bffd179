using MiniContainer.Cli.Compose;

namespace MiniContainer.UnitTests.Cli.Compose;

/// <summary>A temporary project directory with compose files in it, loaded as `minicontainer compose` would load it.</summary>
internal sealed class ComposeTestFiles : IDisposable
{
    public string Dir { get; }

    public ComposeTestFiles(string dirName = "myapp")
    {
        Dir = Path.Combine(Path.GetTempPath(), "mc-compose-" + Guid.NewGuid().ToString("N")[..8], dirName);
        Directory.CreateDirectory(Dir);
    }

    public ComposeTestFiles With(string name, string content)
    {
        File.WriteAllText(Path.Combine(Dir, name), content);
        return this;
    }

    public ComposeProject Load(string[]? files = null, string? project = null, IReadOnlyDictionary<string, string>? env = null,
                               string[]? envFiles = null, string[]? profiles = null)
        => ComposeLoader.Load(new ComposeOptions(files ?? [], project, null, envFiles ?? [], profiles ?? [],
            name => env is not null && env.TryGetValue(name, out var v) ? v : null, Dir));

    /// <summary>The message of the ComposeFileException loading throws.</summary>
    public string Error(string[]? files = null, IReadOnlyDictionary<string, string>? env = null)
        => Xunit.Assert.Throws<ComposeFileException>(() => Load(files, env: env)).Message;

    public void Dispose()
    {
        try { Directory.Delete(Path.GetDirectoryName(Dir)!, recursive: true); } catch (IOException) { }
    }
}
