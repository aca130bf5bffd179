using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Images;
using MiniContainer.Networking;
using MiniContainer.Storage;
using MiniContainer.Volumes;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>`docker rename`: dockerd's errors, the new name persisted (a new daemon reads it back), and the embedded DNS
/// answering the new name instead of the old one on every network of the container.</summary>
public sealed class RenameTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mc-unit-rename-" + Guid.NewGuid().ToString("N")[..8]);
    private HostPaths Paths => new(_root, Path.Combine(_root, "run"));

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    private static string Id(char c) => new(c, 64);

    /// <summary>A daemon's container service over stopped containers written to disk, as a restarted daemon finds them.</summary>
    private async Task<ContainerService> ServiceWithAsync(NetworkService? networking, params (string Id, string Name)[] containers)
    {
        foreach (var (id, name) in containers)
        {
            string dir = Paths.Container(id);
            if (Directory.Exists(dir)) continue;
            Directory.CreateDirectory(dir);
            var record = new ContainerRecord { Id = id, Name = "/" + name, State = new ContainerState { Status = "exited" } };
            File.WriteAllBytes(Path.Combine(dir, "config.v2.json"), JsonSerializer.SerializeToUtf8Bytes(record, DaemonJson.Default.ContainerRecord));
        }
        var service = new ContainerService(Paths, new ImageStore(Paths), new VolumeStore(Paths)) { Networking = networking };
        await service.ReloadAsync();
        return service;
    }

    [Fact]
    public async Task The_new_name_finds_the_container_and_survives_a_daemon_restart()
    {
        var service = await ServiceWithAsync(null, (Id('a'), "web"));
        Assert.Equal("web", await service.RenameAsync(service.Get("web"), "frontend"));
        Assert.Equal(Id('a'), service.Get("frontend").Record.Id);
        Assert.Null(service.Find("web"));

        var restarted = await ServiceWithAsync(null);   // a new daemon over the same data root
        Assert.Equal("/frontend", restarted.Get(Id('a')).Record.Name);
        Assert.Empty(Directory.GetFiles(Paths.Container(Id('a')), ".*"));   // the atomic write left no temp file
    }

    [Fact]
    public async Task Bad_renames_get_dockerds_errors()
    {
        var service = await ServiceWithAsync(null, (Id('a'), "web"), (Id('b'), "db"));
        var web = service.Get("web");
        var inUse = await Assert.ThrowsAsync<ConflictException>(() => service.RenameAsync(web, "db"));
        Assert.Equal($"Conflict. The container name \"/db\" is already in use by container \"{Id('b')}\". You have to remove (or rename) that container to be able to reuse that name.", inUse.Message);
        Assert.Equal("Invalid container name (-bad), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
            (await Assert.ThrowsAsync<BadRequestException>(() => service.RenameAsync(web, "-bad"))).Message);
        Assert.Equal("Neither old nor new names may be empty", (await Assert.ThrowsAsync<BadRequestException>(() => service.RenameAsync(web, ""))).Message);
        Assert.Equal("Renaming a container with the same name as its current name",
            (await Assert.ThrowsAsync<BadRequestException>(() => service.RenameAsync(web, "web"))).Message);
        Assert.Equal("No such container: nope", Assert.Throws<NotFoundException>(() => service.Get("nope")).Message);
        Assert.Equal("/web", web.Record.Name);   // nothing changed
    }

    [Fact]
    public async Task The_embedded_dns_answers_the_new_name_and_no_longer_the_old_one()
    {
        var store = new NetworkStore(Paths);
        var front = new NetworkState { Name = "frontnet", Id = "f" + new string('0', 63), Subnet = "10.9.1.0/24", Gateway = "10.9.1.1" };
        store.Add(front);
        var networking = new NetworkService(store, new NetworkOptions(), null!);
        store.Update(front, s => s.Endpoints[Id('a')] = new EndpointState
        {
            ContainerName = "web", IPv4Address = "10.9.1.2", Aliases = ["www"], DnsNames = NetworkService.DnsNamesFor("web", ["www"], Id('a')[..12]),
        });
        store.Update(front, s => s.Endpoints[Id('b')] = new EndpointState { ContainerName = "client", IPv4Address = "10.9.1.3", DnsNames = ["client"] });
        var service = await ServiceWithAsync(networking, (Id('a'), "web"), (Id('b'), "client"));
        var dns = new NetworkDnsRecords(store, front.Id);
        var client = IPAddress.Parse("10.9.1.3");

        await service.RenameAsync(service.Get("web"), "frontend");

        Assert.Equal(["10.9.1.2"], dns.Resolve(client, "frontend", AddressFamily.InterNetwork)!.Select(a => a.ToString()));
        Assert.Null(dns.Resolve(client, "web", AddressFamily.InterNetwork));
        Assert.NotNull(dns.Resolve(client, "www", AddressFamily.InterNetwork));           // aliases stay
        Assert.NotNull(dns.Resolve(client, Id('a')[..12], AddressFamily.InterNetwork));   // and the short ID
        Assert.Equal("frontend", new NetworkStore(Paths).Get("frontnet").Endpoints[Id('a')].ContainerName);   // persisted
    }
}
