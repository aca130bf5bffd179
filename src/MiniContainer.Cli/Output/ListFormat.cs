using System.Text;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Output;

/// <summary>
/// docker's --format for lists (ps, images): "table {{.ID}}\t{{.Names}}" prints a header and aligned columns,
/// a plain template prints one line per item, "json" one JSON object per line. \t and \n typed literally
/// in the format become tab and newline, as in docker.
/// </summary>
internal static class ListFormat
{
    public static string Render(string format, IEnumerable<JsonObject> rows, JsonObject headers)
    {
        string text = format.Trim();
        if (text == "json") text = "{{json .}}";
        bool table = text.StartsWith("table", StringComparison.Ordinal);
        if (table) text = text["table".Length..];
        text = text.Trim(' ').Replace("\\t", "\t").Replace("\\n", "\n");

        var template = GoTemplate.Parse(text);
        var sb = new StringBuilder();
        if (table) sb.Append(template.Execute(headers)).Append('\n');
        foreach (var row in rows) sb.Append(template.Execute(row)).Append('\n');
        if (!table) return sb.ToString();

        var writer = new TableWriter();
        writer.Write(sb.ToString());
        return writer.Render();
    }
}
