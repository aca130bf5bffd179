using System.Text.Json.Nodes;
using MiniContainer.Images;
using MiniContainer.Registry;

namespace MiniContainer.Api;

/// <summary>The registry side of the Engine API: pull (POST /images/create?fromImage=), push, and POST /auth (login).
/// Credentials come as Docker sends them: X-Registry-Auth (base64url JSON) for pull and push, a JSON body for /auth.</summary>
public static class RegistryRoutes
{
    public static void Map(Router r, ImageStore images)
    {
        r.Map("POST", "/images/{name*}/push", ctx =>
        {
            var reference = ParseName(ctx.R("name"));
            if (reference.Digest != null) throw new BadRequestException("cannot push a digest reference");
            if (ctx.Q("tag") is { Length: > 0 } tag) reference = reference with { Tag = tag };
            var auth = Credentials(ctx);
            return StreamAsync(ctx, (progress, ct) => new Pusher(images).PushAsync(reference, auth, progress, ct));
        });

        r.Map("GET", "/distribution/{name*}/json", async ctx =>
        {
            var reference = ParseName(ctx.R("name"));
            JsonObject answer;
            try { answer = await DistributionInspector.InspectAsync(reference, Credentials(ctx), CancellationToken.None); }
            catch (RegistryException e) { throw new ApiException(e.Status, e.Message); }
            await ctx.WriteJsonNodeAsync(200, answer);
        });

        r.Map("POST", "/auth", async ctx =>
        {
            byte[] body = await ctx.ReadBodyBytesAsync();
            AuthConfig auth;
            try { auth = AuthConfig.FromJson(body); }
            catch (FormatException e) { throw new BadRequestException(e.Message); }
            var client = new RegistryClient(RegistryEndpoint.ForServerAddress(auth.ServerAddress), auth);
            try { await client.LoginAsync(CancellationToken.None); }
            catch (RegistryException e) { throw new ApiException(e.Status == 401 ? 401 : 500, e.Message); }
            await ctx.WriteJsonNodeAsync(200, new JsonObject { ["Status"] = "Login Succeeded", ["IdentityToken"] = "" });
        });
    }

    /// <summary>POST /images/create?fromImage=NAME&amp;tag=TAG|DIGEST (the `all-tags` CLI flag sends no tag).</summary>
    public static Task PullAsync(HttpContext ctx, ImageStore images)
    {
        string from = ctx.Q("fromImage") ?? "";
        string? tag = ctx.Q("tag");
        var reference = ParseName(from);
        bool allTags = string.IsNullOrEmpty(tag) && reference.Tag is null && reference.Digest is null;
        if (!string.IsNullOrEmpty(tag))
            reference = tag.Contains(':') ? reference with { Digest = tag, Tag = null } : reference with { Tag = tag };
        var auth = Credentials(ctx);
        return StreamAsync(ctx, (progress, ct) => new Puller(images).PullAsync(reference, auth, allTags, progress, ct));
    }

    /// <summary>Runs a pull or push with a progress stream; errors before the first message are HTTP errors, later ones stream messages.</summary>
    private static async Task StreamAsync(HttpContext ctx, Func<ProgressWriter, CancellationToken, Task> work)
    {
        var progress = new ProgressWriter(() => ctx.StartStreamAsync(200, "application/json"));
        try
        {
            await work(progress, CancellationToken.None);
        }
        catch (Exception e) when (e is RegistryException or InvalidArchiveException or InvalidReferenceException or IOException or InvalidOperationException)
        {
            if (!progress.Started)
            {
                int status = e switch { RegistryException re => re.Status, InvalidReferenceException or InvalidArchiveException => 400, _ => 500 };
                throw new ApiException(status, e.Message);
            }
            Log.Warn($"{ctx.Method} {ctx.Path}: {e.Message}");
            progress.Error(e.Message);
        }
        await progress.CompleteAsync();
    }

    private static ImageReference ParseName(string name)
    {
        try { return ImageReference.Parse(name); }
        catch (InvalidReferenceException e) { throw new BadRequestException(e.Message); }
    }

    private static AuthConfig Credentials(HttpContext ctx)
    {
        try { return AuthConfig.FromHeader(ctx.Headers.TryGetValue("X-Registry-Auth", out string? h) ? h : null); }
        catch (FormatException e) { throw new BadRequestException(e.Message); }
    }
}
