namespace MiniContainer.Api;

/// <summary>
/// MiniContainer has no swarm mode. Its swarm endpoints answer as a dockerd that is not in a swarm does (503 and
/// dockerd's messages), so clients that look for a swarm — docker-compose, docker-py, `docker info` — learn that
/// there is none, instead of a 404 that reads like a broken daemon. Creating or joining a swarm is refused.
/// </summary>
public static class SwarmRoutes
{
    public const string NotAManager = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.";
    public const string NotInASwarm = "This node is not part of a swarm";
    public const string NoSwarmMode = "MiniContainer has no swarm mode: a swarm cannot be created or joined here";

    public static void Map(Router r)
    {
        Func<HttpContext, Task> notAManager = _ => throw new ApiException(503, NotAManager);
        Func<HttpContext, Task> noSwarmMode = _ => throw new ApiException(503, NoSwarmMode);
        r.Map("GET", "/swarm", notAManager);
        r.Map("POST", "/swarm/init", noSwarmMode);
        r.Map("POST", "/swarm/join", noSwarmMode);
        r.Map("POST", "/swarm/leave", _ => throw new ApiException(503, NotInASwarm));
        foreach (string path in new[] { "/swarm/update", "/swarm/unlock" }) r.Map("POST", path, notAManager);
        r.Map("GET", "/swarm/unlockkey", notAManager);
        // Nodes, services, tasks, secrets and configs live only in a swarm's raft store.
        foreach (string kind in new[] { "nodes", "services", "tasks", "secrets", "configs" })
        {
            r.Map("GET", $"/{kind}", notAManager);
            r.Map("GET", $"/{kind}/{{id}}", notAManager);
            r.Map("DELETE", $"/{kind}/{{id}}", notAManager);
            r.Map("POST", $"/{kind}/create", notAManager);
            r.Map("POST", $"/{kind}/{{id}}/update", notAManager);
            r.Map("GET", $"/{kind}/{{id}}/logs", notAManager);
        }
    }
}
