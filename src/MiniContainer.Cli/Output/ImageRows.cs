using System.Text.Json.Nodes;
using static MiniContainer.Cli.Output.ContainerRows;

namespace MiniContainer.Cli.Output;

/// <summary>What `images` shows: one row per repository:tag of each image of GET /images/json ("&lt;none&gt;" when untagged).</summary>
internal static class ImageRows
{
    public const string DefaultFormat = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    public const string QuietFormat = "{{.ID}}";

    public static readonly JsonObject Headers = new()
    {
        ["Repository"] = "REPOSITORY", ["Tag"] = "TAG", ["Digest"] = "DIGEST", ["ID"] = "IMAGE ID",
        ["CreatedSince"] = "CREATED", ["CreatedAt"] = "CREATED AT", ["Size"] = "SIZE", ["Containers"] = "CONTAINERS",
    };

    /// <summary>
    /// Docker's rows: one per tag, its DIGEST the digest this image has in the SAME repository (a row per digest if
    /// it has several); a repository the image has a digest in but no tag gets a "&lt;none&gt;" tag row; an image with
    /// neither is one "&lt;none&gt;:&lt;none&gt;" row. Without --digests a repository's digests add no rows of their own.
    /// </summary>
    public static IEnumerable<JsonObject> Rows(JsonObject image, bool truncate, DateTimeOffset now, bool digests = true)
    {
        var tagsByRepo = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string repoTag in Strings(image["RepoTags"]).Where(t => t != "<none>:<none>"))
        {
            var (repo, tag) = MiniContainer.Images.ImageReference.SplitTag(repoTag);
            Group(tagsByRepo, repo).Add(tag.Length == 0 ? "<none>" : tag);
        }
        var digestsByRepo = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string repoDigest in Strings(image["RepoDigests"]).Where(d => d != "<none>@<none>" && d.Contains('@')))
            Group(digestsByRepo, repoDigest[..repoDigest.IndexOf('@')]).Add(repoDigest[(repoDigest.IndexOf('@') + 1)..]);

        var rows = new List<(string Repo, string Tag, string Digest)>();
        foreach (var (repo, tags) in tagsByRepo)
        {
            var ofRepo = digests && digestsByRepo.Remove(repo, out var d) ? d : [];
            if (!digests) digestsByRepo.Remove(repo);
            foreach (string tag in tags)
                if (ofRepo.Count == 0) rows.Add((repo, tag, "<none>"));
                else rows.AddRange(ofRepo.Select(dg => (repo, tag, dg)));
        }
        foreach (var (repo, ofRepo) in digestsByRepo)
            if (digests) rows.AddRange(ofRepo.Select(dg => (repo, "<none>", dg)));
            else rows.Add((repo, "<none>", ""));
        if (rows.Count == 0) rows.Add(("<none>", "<none>", "<none>"));

        long created = Long(image, "Created");
        string id = Str(image, "Id");
        foreach (var (repo, tag, digest) in rows)
            yield return new JsonObject
            {
                ["Repository"] = repo,
                ["Tag"] = tag,
                ["Digest"] = digest,
                ["ID"] = truncate ? GoStrings.ShortId(id) : id,
                ["CreatedSince"] = HumanUnits.Ago(created, now),
                ["CreatedAt"] = GoTime(DateTimeOffset.FromUnixTimeSeconds(created)),
                ["Size"] = HumanUnits.Size(Long(image, "Size")),
                ["Containers"] = Long(image, "Containers") < 0 ? "N/A" : Long(image, "Containers").ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
    }

    private static IEnumerable<string> Strings(JsonNode? array) =>
        (array as JsonArray)?.Select(t => t?.GetValue<string>() ?? "").Where(t => t.Length > 0) ?? [];

    private static List<string> Group(Dictionary<string, List<string>> groups, string key) =>
        groups.TryGetValue(key, out var list) ? list : groups[key] = [];
}
