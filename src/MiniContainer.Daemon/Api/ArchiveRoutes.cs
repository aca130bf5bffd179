using MiniContainer.Containers;

namespace MiniContainer.Api;

/// <summary>
/// /containers/{id}/archive, what `docker cp` uses: HEAD stats a path (the X-Docker-Container-Path-Stat
/// header), GET returns its tar with that header, PUT extracts a tar into a directory.
/// </summary>
public static class ArchiveRoutes
{
    private const string StatHeader = "X-Docker-Container-Path-Stat";

    public static void Map(Router r, ContainerService containers)
    {
        var archive = new ContainerArchive(containers);

        // The router sends HEAD here too.
        r.Map("GET", "/containers/{id}/archive", async ctx =>
        {
            string asked = ctx.R("id");
            var c = containers.Get(asked);
            string path = ctx.Q("path") is { Length: > 0 } p ? p : throw new BadRequestException("path cannot be empty");
            if (ctx.Method == "HEAD")
            {
                var stat = await archive.StatAsync(c, path, asked);
                ctx.ResponseHeaders[StatHeader] = stat.ToHeader();
                await ctx.WriteEmptyAsync(200);
                return;
            }
            BufferedStream? buffered = null;
            await archive.ArchiveAsync(c, path, asked, async stat =>
            {
                ctx.ResponseHeaders[StatHeader] = stat.ToHeader();
                return buffered = new BufferedStream(await ctx.StartStreamAsync(200, "application/x-tar"), 1 << 20);
            });
            if (buffered != null) await buffered.FlushAsync();
        });

        r.Map("PUT", "/containers/{id}/archive", async ctx =>
        {
            string asked = ctx.R("id");
            var c = containers.Get(asked);
            string path = ctx.Q("path") is { Length: > 0 } p ? p : throw new BadRequestException("path cannot be empty");
            await archive.ExtractAsync(c, path, asked, ctx.QBool("copyUIDGID"), ctx.QBool("noOverwriteDirNonDir"), ctx.Body);
            await ctx.WriteEmptyAsync(200);
        });
    }
}
