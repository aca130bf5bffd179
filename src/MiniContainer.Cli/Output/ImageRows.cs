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

    public static IEnumerable<JsonObject> Rows(JsonObject image, bool truncate, DateTimeOffset now)
    {
        var tags = (image["RepoTags"] as JsonArray)?.Select(t => t?.GetValue<string>() ?? "").Where(t => t.Length > 0 && t != "<none>:<none>").ToList() ?? [];
        string digest = (image["RepoDigests"] as JsonArray)?.Select(t => t?.GetValue<string>() ?? "").FirstOrDefault(d => d.Contains('@')) is { } d ? d[(d.IndexOf('@') + 1)..] : "<none>";
        if (tags.Count == 0) tags.Add("<none>:<none>");

        foreach (string repoTag in tags)
        {
            var (repo, tag) = Flags.ImageReference.SplitTag(repoTag);
            long created = Long(image, "Created");
            string id = Str(image, "Id");
            yield return new JsonObject
            {
                ["Repository"] = repo,
                ["Tag"] = tag.Length == 0 ? "<none>" : tag,
                ["Digest"] = digest,
                ["ID"] = truncate ? GoStrings.ShortId(id) : id,
                ["CreatedSince"] = HumanUnits.Ago(created, now),
                ["CreatedAt"] = GoTime(DateTimeOffset.FromUnixTimeSeconds(created)),
                ["Size"] = HumanUnits.Size(Long(image, "Size")),
                ["Containers"] = Long(image, "Containers") < 0 ? "N/A" : Long(image, "Containers").ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
    }
}
