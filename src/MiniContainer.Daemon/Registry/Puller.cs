using MiniContainer.Events;
using MiniContainer.Images;

namespace MiniContainer.Registry;

/// <summary>
/// `docker pull`: manifest (following an index to linux/&lt;this machine&gt;), config, then the layers the store lacks,
/// downloaded concurrently (three at a time, as Docker) and each checked against its digest, then stored through the
/// same verified path as `load`. Nothing is stored or tagged unless everything checked out.
/// </summary>
public sealed class Puller(ImageStore store)
{
    private const int ConcurrentDownloads = 3;

    private static string HostArchitecture => ImageStore.HostArchitecture;

    /// <summary>Pulls <paramref name="reference"/> (a tag or a digest), or every tag of its repository with <paramref name="allTags"/>.</summary>
    public async Task PullAsync(ImageReference reference, AuthConfig auth, bool allTags, ProgressWriter progress, CancellationToken ct)
    {
        var client = new RegistryClient(RegistryEndpoint.For(reference.Domain), auth);
        if (!allTags)
        {
            await PullOneAsync(client, reference.WithDefaultTag(), progress, ct);
            return;
        }
        List<string> tags;
        try { tags = await client.ListTagsAsync(reference.Path, ct); }
        catch (RegistryHttpException e) { throw Denied(reference with { Tag = null, Digest = null }, e); }
        if (tags.Count == 0) throw new RegistryException($"no tags found for {reference.Repository}", 404);
        foreach (string tag in tags.Order(StringComparer.Ordinal))
            await PullOneAsync(client, reference with { Tag = tag, Digest = null }, progress, ct);
        progress.Status($"Status: Downloaded all tags of {reference.Repository}");
    }

    private async Task PullOneAsync(RegistryClient client, ImageReference reference, ProgressWriter progress, CancellationToken ct)
    {
        string repository = reference.Path;
        string wanted = reference.Digest ?? reference.Tag!;
        FetchedManifest top;
        try { top = await client.GetManifestAsync(repository, wanted, ct); }
        catch (RegistryHttpException e) { throw Denied(reference, e); }

        progress.Status($"Pulling from {repository}", wanted);
        var manifestFetched = await ResolvePlatformAsync(client, repository, top, ct);
        var manifest = Manifests.ParseManifest(manifestFetched);
        byte[] rawConfig = await client.GetBlobBytesAsync(repository, manifest.Config.Digest, ct);
        var config = ImageJson.Parse(rawConfig, ImageJson.Store.ImageConfig, $"image config {manifest.Config.Digest}");
        if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
            throw new RegistryException($"invalid image {reference}: its config has {config.RootFs.DiffIds.Count} diff_ids but its manifest lists {manifest.Layers.Count} layers");

        string imageId = manifest.Config.Digest;
        string repoDigest = $"{reference.Repository}@{top.Digest}";
        string? tag = reference.Digest is null ? reference.WithDefaultTag().ToString() : null;
        var existing = store.Find(imageId);
        bool upToDate = existing != null && (tag is null || existing.RepoTags.Contains(tag));

        var chainIds = Digests.ChainIds(config.RootFs.DiffIds);
        string LayerId(int i) => manifest.Layers[i].Digest[7..19];
        var missing = Enumerable.Range(0, manifest.Layers.Count).Where(i => !store.HasLayer(chainIds[i])).ToList();
        for (int i = 0; i < manifest.Layers.Count; i++)
            progress.Status(missing.Contains(i) ? "Pulling fs layer" : "Already exists", LayerId(i));

        string workDir = store.NewWorkDir("pull");
        try
        {
            using var slots = new SemaphoreSlim(ConcurrentDownloads);
            using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (missing.Count > ConcurrentDownloads) foreach (int i in missing.Skip(ConcurrentDownloads)) progress.Status("Waiting", LayerId(i));
            var downloads = new Task<string>?[manifest.Layers.Count];
            foreach (int i in missing) downloads[i] = DownloadAsync(i);

            async Task<string> DownloadAsync(int i)
            {
                await slots.WaitAsync(failed.Token);
                try
                {
                    var layer = manifest.Layers[i];
                    string file = Path.Combine(workDir, $"{i}-{layer.Digest[7..]}");
                    await client.DownloadBlobAsync(repository, layer.Digest, layer.Size, file,
                        done => progress.Progress(LayerId(i), "Downloading", done, layer.Size), failed.Token);
                    progress.Status("Verifying Checksum", LayerId(i));
                    progress.Status("Download complete", LayerId(i));
                    return file;
                }
                catch { failed.Cancel(); throw; }
                finally { slots.Release(); }
            }

            // Layers are unpacked bottom first, each as soon as it is in, while the ones above still download.
            string? WaitFor(int i)
            {
                if (downloads[i] is not { } download) return null;
                try { return download.GetAwaiter().GetResult(); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // Another download failed and cancelled this one: report that one.
                    throw downloads.Select(d => d?.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException)
                          ?? new RegistryException("a layer download was cancelled");
                }
            }
            var layers = manifest.Layers.Select((l, i) => new ImageStore.PulledLayer(() => WaitFor(i), l.Digest)).ToList();
            try
            {
                await Task.Run(() =>
                {
                    if (existing is null)
                        store.StorePulled(rawConfig, layers, tag, repoDigest, (i, status) => progress.Status(status, LayerId(i)));
                    else
                        store.TagPulled(imageId, tag, repoDigest);
                }, ct);
                store.Events.Image("pull", reference.ToString(), reference.ToString(), config.Config?.Labels);
            }
            finally
            {
                failed.Cancel();   // a failed extraction stops the downloads still running
                await Task.WhenAll(downloads.OfType<Task<string>>()).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            try { Directory.Delete(workDir, recursive: true); } catch (IOException) { }
        }

        progress.Status($"Digest: {top.Digest}");
        progress.Status(upToDate ? $"Status: Image is up to date for {reference}" : $"Status: Downloaded newer image for {reference}");
    }

    /// <summary>An index (manifest list) → the manifest for linux/&lt;arch&gt;, fetched by its digest.</summary>
    private static async Task<FetchedManifest> ResolvePlatformAsync(RegistryClient client, string repository, FetchedManifest fetched, CancellationToken ct)
    {
        if (fetched.MediaType is ManifestTypes.DockerSchema1 or ManifestTypes.DockerSchema1Signed)
            throw new RegistryException("unsupported manifest format: Docker image manifest schema 1 is deprecated and not supported; push the image again with a current client");
        if (!ManifestTypes.IsIndex(fetched.MediaType))
            return ManifestTypes.IsImageManifest(fetched.MediaType) ? fetched : throw new RegistryException($"unsupported manifest media type {fetched.MediaType}");
        var index = Manifests.ParseIndex(fetched);
        var chosen = Manifests.SelectPlatform(index, "linux", HostArchitecture)
            ?? throw new RegistryException($"no matching manifest for linux/{HostArchitecture} in the manifest list entries", 404);
        try
        {
            var manifest = await client.GetManifestAsync(repository, chosen.Digest, ct);
            return ManifestTypes.IsImageManifest(manifest.MediaType) ? manifest : throw new RegistryException($"the index entry for linux/{HostArchitecture} is a {manifest.MediaType}, not an image manifest");
        }
        catch (RegistryHttpException e) { throw new RegistryException($"manifest {chosen.Digest} for linux/{HostArchitecture}: {e.Message}", e.Status); }
    }

    /// <summary>The registry said no to the manifest: Docker's wording for "missing, or you may not see it".</summary>
    private static RegistryException Denied(ImageReference reference, RegistryHttpException e)
    {
        if (e.Status == 404 && RegistryErrors.HasCode(e.Body, "MANIFEST_UNKNOWN"))
            return new RegistryException($"manifest for {reference} not found: {e.Message}", 404);
        if (e.IsDenied || e.Status == 404)
            return new RegistryException($"pull access denied for {reference.Repository}, repository does not exist or may require 'docker login': {e.Message}", 404);
        return new RegistryException($"error pulling {reference}: {e.Message}", e.Status >= 500 ? 500 : e.Status);
    }
}
