namespace MiniContainer.Cli.Compose;

/// <summary>
/// The labels by which docker compose (v2, and docker-compose 1.29) finds the objects of a project on the engine.
/// Using the same ones lets either tool see and manage a project the other made.
/// </summary>
internal static class ComposeLabels
{
    public const string Project = "com.docker.compose.project";
    public const string Service = "com.docker.compose.service";
    public const string ContainerNumber = "com.docker.compose.container-number";
    public const string OneOff = "com.docker.compose.oneoff";
    public const string ConfigHash = "com.docker.compose.config-hash";
    public const string DependsOn = "com.docker.compose.depends_on";
    public const string WorkingDir = "com.docker.compose.project.working_dir";
    public const string ConfigFiles = "com.docker.compose.project.config_files";
    public const string Network = "com.docker.compose.network";
    public const string Volume = "com.docker.compose.volume";
    public const string Version = "com.docker.compose.version";
    public const string Image = "com.docker.compose.image";

    /// <summary>The compose version we write: docker compose v2's format, which 1.29 also reads.</summary>
    public const string VersionValue = "2.20.0";
}
