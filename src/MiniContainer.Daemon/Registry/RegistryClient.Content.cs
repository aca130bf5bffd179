using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Images;

namespace MiniContainer.Registry;

/// <summary>The content calls of the Distribution API: manifests, blobs (download, existence, upload, mount), tags.</summary>
public sealed partial class RegistryClient
{
    /// <summary>What we accept as a manifest, as Docker sends it: both image manifest kinds and both index kinds.</summary>
    public static readonly string[] ManifestMediaTypes =
    [
        ManifestTypes.DockerManifest, ManifestTypes.DockerManifestList, ManifestTypes.OciManifest, ManifestTypes.OciIndex,
    ];

    /// <summary>GET /v2/&lt;repo&gt;/manifests/&lt;tag|digest&gt;: the manifest bytes as served, their media type, and their digest
    /// (checked: against the digest we asked for, and against the Docker-Content-Digest header when the registry sends one).</summary>
    public async Task<FetchedManifest> GetManifestAsync(string repository, string reference, CancellationToken ct)
    {
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Url($"/v2/{repository}/manifests/{reference}"));
            foreach (string type in ManifestMediaTypes) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            return request;
        }, [PullScope(repository)], ct);
        byte[] body = await response.Content.ReadAsByteArrayAsync(ct);
        if (!response.IsSuccessStatusCode) throw new RegistryHttpException((int)response.StatusCode, System.Text.Encoding.UTF8.GetString(body));

        string digest = Digests.Of(body);
        if (reference.StartsWith("sha256:", StringComparison.Ordinal) && digest != reference)
            throw new RegistryException($"manifest verification failed for digest {reference}: the registry sent content with digest {digest}");
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var header) && header.FirstOrDefault() is { } claimed
            && claimed.StartsWith("sha256:", StringComparison.Ordinal) && claimed != digest)
            throw new RegistryException($"manifest verification failed for {repository}:{reference}: the registry says its digest is {claimed}, its content has digest {digest}");
        string mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        return new FetchedManifest(body, ManifestTypes.Detect(body, mediaType), digest);
    }

    /// <summary>GET a small blob (an image config) into memory, checked against its digest.</summary>
    public async Task<byte[]> GetBlobBytesAsync(string repository, string digest, CancellationToken ct)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Url($"/v2/{repository}/blobs/{digest}")), [PullScope(repository)], ct);
        byte[] body = await response.Content.ReadAsByteArrayAsync(ct);
        if (!response.IsSuccessStatusCode) throw new RegistryHttpException((int)response.StatusCode, System.Text.Encoding.UTF8.GetString(body));
        string actual = Digests.Of(body);
        if (actual != digest) throw new RegistryException($"blob verification failed for digest {digest}: its content has digest {actual}");
        return body;
    }

    /// <summary>
    /// Downloads a blob to <paramref name="file"/> while hashing it; the file is deleted again unless its sha256 and size are
    /// what the manifest says ("filesystem layer verification failed for digest …", as Docker says). Reports bytes so far.
    /// </summary>
    public async Task DownloadBlobAsync(string repository, string digest, long size, string file, Action<long> progress, CancellationToken ct)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Url($"/v2/{repository}/blobs/{digest}")), [PullScope(repository)], ct);
        if (!response.IsSuccessStatusCode)
            throw new RegistryHttpException((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        try
        {
            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            await using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false))
            {
                byte[] buffer = new byte[1 << 18];
                int n;
                while ((n = await body.ReadAsync(buffer, ct)) > 0)
                {
                    sha.AppendData(buffer, 0, n);
                    output.Write(buffer, 0, n);
                    total += n;
                    progress(total);
                    if (size > 0 && total > size) break;   // more than the manifest promised: stop reading, verification fails below
                }
            }
            string actual = "sha256:" + Convert.ToHexStringLower(sha.GetCurrentHash());
            if (actual != digest || (size > 0 && total != size))
                throw new RegistryException($"filesystem layer verification failed for digest {digest}: received {total} bytes with digest {actual}");
        }
        catch
        {
            File.Delete(file);
            throw;
        }
    }

    /// <summary>HEAD /v2/&lt;repo&gt;/blobs/&lt;digest&gt;: does the repository have this blob already?</summary>
    public async Task<bool> BlobExistsAsync(string repository, string digest, CancellationToken ct)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, Url($"/v2/{repository}/blobs/{digest}")), [PushScope(repository)], ct);
        if (response.IsSuccessStatusCode) return true;
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        throw new RegistryHttpException((int)response.StatusCode, "");
    }

    /// <summary>
    /// POST /v2/&lt;repo&gt;/blobs/uploads/?mount=&lt;digest&gt;&amp;from=&lt;other repo&gt;: asks the registry to link a blob another repository
    /// has. True when it did (201). Otherwise the registry has started an ordinary upload; its URL is returned to continue with.
    /// </summary>
    public async Task<(bool Mounted, Uri? UploadUrl)> TryMountBlobAsync(string repository, string digest, string fromRepository, CancellationToken ct)
    {
        string query = $"?mount={Uri.EscapeDataString(digest)}&from={Uri.EscapeDataString(fromRepository)}";
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Url($"/v2/{repository}/blobs/uploads/{query}")) { Content = new ByteArrayContent([]) },
            [PushScope(repository), PullScope(fromRepository)], ct);
        if (response.StatusCode == HttpStatusCode.Created) return (true, null);
        if (response.StatusCode == HttpStatusCode.Accepted) return (false, UploadLocation(response));
        throw new RegistryHttpException((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>Blobs bigger than this go up in chunks (PATCH … with Content-Range); smaller ones in one PUT.</summary>
    public long ChunkSize { get; init; } = 16L << 20;

    /// <summary>
    /// Uploads a blob from <paramref name="file"/>: POST to start (unless a failed mount already did), then either one
    /// PUT ?digest= carrying the bytes (monolithic) or PATCHes of ChunkSize bytes followed by an empty PUT ?digest= (chunked).
    /// </summary>
    public async Task UploadBlobAsync(string repository, string digest, string file, Uri? uploadUrl, Action<long> progress, CancellationToken ct)
    {
        string[] scopes = [PushScope(repository)];
        if (uploadUrl is null)
        {
            using var start = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Url($"/v2/{repository}/blobs/uploads/")) { Content = new ByteArrayContent([]) }, scopes, ct);
            if (start.StatusCode != HttpStatusCode.Accepted) throw new RegistryHttpException((int)start.StatusCode, await start.Content.ReadAsStringAsync(ct));
            uploadUrl = UploadLocation(start);
        }

        long size = new FileInfo(file).Length;
        if (size > ChunkSize)
        {
            for (long offset = 0; offset < size; offset += ChunkSize)
            {
                long length = Math.Min(ChunkSize, size - offset);
                long from = offset;
                Uri current = uploadUrl;
                using var patch = await SendAsync(() =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Patch, current) { Content = FileSlice(file, from, length, progress) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{from}-{from + length - 1}");
                    return request;
                }, scopes, ct);
                if (patch.StatusCode != HttpStatusCode.Accepted) throw new RegistryHttpException((int)patch.StatusCode, await patch.Content.ReadAsStringAsync(ct));
                uploadUrl = UploadLocation(patch);
            }
            await FinishUploadAsync(WithDigest(uploadUrl, digest), () => new ByteArrayContent([]), scopes, ct);
        }
        else
        {
            await FinishUploadAsync(WithDigest(uploadUrl, digest), () => FileSlice(file, 0, size, progress), scopes, ct);
        }
    }

    private async Task FinishUploadAsync(Uri url, Func<HttpContent> content, string[] scopes, CancellationToken ct)
    {
        using var put = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = content() };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return request;
        }, scopes, ct);
        if (put.StatusCode != HttpStatusCode.Created) throw new RegistryHttpException((int)put.StatusCode, await put.Content.ReadAsStringAsync(ct));
    }

    /// <summary>PUT /v2/&lt;repo&gt;/manifests/&lt;tag&gt;: returns the digest the registry files it under.</summary>
    public async Task<string> PutManifestAsync(string repository, string tag, byte[] manifest, string mediaType, CancellationToken ct)
    {
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, Url($"/v2/{repository}/manifests/{tag}")) { Content = new ByteArrayContent(manifest) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return request;
        }, [PushScope(repository)], ct);
        if (response.StatusCode != HttpStatusCode.Created) throw new RegistryHttpException((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        return response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { } d ? d : Digests.Of(manifest);
    }

    /// <summary>GET /v2/&lt;repo&gt;/tags/list (following Link: rel="next" pages).</summary>
    public async Task<List<string>> ListTagsAsync(string repository, CancellationToken ct)
    {
        var tags = new List<string>();
        Uri? next = Url($"/v2/{repository}/tags/list");
        while (next != null)
        {
            Uri current = next;
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, current), [PullScope(repository)], ct);
            string body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) throw new RegistryHttpException((int)response.StatusCode, body);
            try
            {
                if (JsonNode.Parse(body)?["tags"] is JsonArray array)
                    tags.AddRange(array.Select(t => t?.GetValue<string>()).OfType<string>());
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new RegistryException($"invalid tag list from the registry: {e.Message}"); }
            next = response.Headers.TryGetValues("Link", out var links) && links.FirstOrDefault() is { } link && link.IndexOf('<') is int lt and >= 0
                ? new Uri(current, link[(lt + 1)..link.IndexOf('>')]) : null;
        }
        return tags;
    }

    private static Uri UploadLocation(HttpResponseMessage response) =>
        response.Headers.Location is { } location
            ? (location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location))
            : throw new RegistryException("the registry started an upload but sent no Location to upload to");

    private static Uri WithDigest(Uri url, string digest) =>
        new(url + (url.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest));

    private static HttpContent FileSlice(string file, long offset, long length, Action<long> progress)
    {
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        stream.Position = offset;
        var content = new StreamContent(new ProgressReadStream(stream, length, n => progress(offset + n)), 1 << 18);
        content.Headers.ContentLength = length;
        return content;
    }
}

/// <summary>A manifest as fetched: its bytes, its kind, its digest.</summary>
public sealed record FetchedManifest(byte[] Body, string MediaType, string Digest);

/// <summary>An unexpected HTTP status from the registry, with its error body; the caller words it for what it was doing.</summary>
public sealed class RegistryHttpException(int status, string body) : Exception(RegistryErrors.Describe(body, status))
{
    public int Status { get; } = status;
    public string Body { get; } = body;
    public bool IsDenied => Status is 401 or 403 || RegistryErrors.HasCode(Body, "DENIED", "UNAUTHORIZED", "NAME_UNKNOWN");
}

/// <summary>Reads at most <paramref name="length"/> bytes of the inner stream, reporting the count read so far.</summary>
internal sealed class ProgressReadStream(Stream inner, long length, Action<long> progress) : MiniContainer.Storage.ReadOnlyStream
{
    private long _read;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_read >= length) return 0;
        int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, length - _read)]);
        _read += n;
        if (n > 0) progress(_read);
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
