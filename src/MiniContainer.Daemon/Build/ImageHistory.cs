using System.Text.Json.Nodes;
using MiniContainer.Images;

namespace MiniContainer.Build;

/// <summary>
/// `docker history`: the image's history entries, newest first, each with the size of the layer it added
/// (0 for config-only steps) and, where the image that step made is still here (a build's intermediate
/// images, the base image), that image's ID and tags; "&lt;missing&gt;" otherwise, as Docker shows it.
/// </summary>
public static class ImageHistory
{
    public static JsonArray Build(ImageStore images, Image image)
    {
        var history = image.Config.History ?? new List<HistoryEntry>();
        var sizes = images.LayerSizes(image);
        var rows = new List<JsonObject>();
        int layer = 0;
        foreach (var h in history)
        {
            long size = 0;
            if (h.EmptyLayer != true && layer < sizes.Count) size = sizes[layer++];
            rows.Add(new JsonObject
            {
                ["Id"] = "<missing>", ["Created"] = Image.ParseCreated(h.Created).ToUnixTimeSeconds(), ["CreatedBy"] = h.CreatedBy ?? "",
                ["Tags"] = null, ["Size"] = size, ["Comment"] = h.Comment ?? "",
            });
        }
        if (rows.Count == 0)
            rows.Add(new JsonObject { ["Id"] = "<missing>", ["Created"] = image.Created.ToUnixTimeSeconds(), ["CreatedBy"] = "", ["Tags"] = null, ["Size"] = image.Size, ["Comment"] = "" });

        // Name the rows whose images we have: the image itself, then its parents as builds recorded them.
        for (Image? current = image; current != null; current = images.ParentOf(current.Id) is { } p ? images.Find(p) : null)
        {
            int index = Math.Min(current.Config.History?.Count ?? rows.Count, rows.Count) - 1;
            if (index < 0) break;
            rows[index]["Id"] = current.Id;
            rows[index]["Tags"] = current.RepoTags.Count > 0 ? new JsonArray(current.RepoTags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()) : null;
        }
        rows.Reverse();
        return new JsonArray(rows.ToArray<JsonNode?>());
    }
}
