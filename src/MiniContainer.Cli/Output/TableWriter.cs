using System.Text;

namespace MiniContainer.Cli.Output;

/// <summary>
/// Aligns tab-separated cells into columns the way Go's text/tabwriter does for docker
/// (minimum cell width 10, padding 3, pad with spaces). A cell is text ended by a tab; the text after the
/// last tab of a line is not part of any column and is printed as is. Column widths are computed per
/// block of consecutive lines that have that column, exactly like tabwriter, so a short line splits blocks.
/// </summary>
internal sealed class TableWriter(int minWidth = 10, int padding = 3)
{
    readonly List<string[]> _lines = [];

    /// <summary>Adds text that may hold several lines; cells are separated by '\t'.</summary>
    public void Write(string text)
    {
        foreach (string line in text.Split('\n'))
            _lines.Add(line.Split('\t'));
        // Split leaves an empty "line" after a trailing newline; drop it so Write("a\n") adds one line.
        if (text.EndsWith('\n')) _lines.RemoveAt(_lines.Count - 1);
    }

    public void AddRow(params string[] cells) => _lines.Add(cells);

    public string Render()
    {
        var widths = new List<int>();
        var lineWidths = new int[_lines.Count][];
        Format(0, _lines.Count, 0, widths, lineWidths);

        var sb = new StringBuilder();
        for (int l = 0; l < _lines.Count; l++)
        {
            string[] cells = _lines[l];
            for (int c = 0; c < cells.Length; c++)
            {
                sb.Append(cells[c]);
                if (c < cells.Length - 1)
                    sb.Append(' ', Math.Max(0, lineWidths[l][c] - DisplayWidth(cells[c])));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>tabwriter's recursive column-block pass: fixes the width of <paramref name="column"/> for each block of lines that has it.</summary>
    void Format(int line0, int line1, int column, List<int> widths, int[][] lineWidths)
    {
        for (int current = line0; current < line1; current++)
        {
            if (column >= _lines[current].Length - 1) { lineWidths[current] ??= [.. widths]; continue; }

            // A block of consecutive lines with a cell in this column starts here.
            int width = minWidth;
            int blockStart = current;
            for (; current < line1; current++)
            {
                if (column >= _lines[current].Length - 1) break;
                width = Math.Max(width, DisplayWidth(_lines[current][column]) + padding);
            }
            widths.Add(width);
            Format(blockStart, current, column + 1, widths, lineWidths);
            widths.RemoveAt(widths.Count - 1);
            current--;   // the line that ended the block is looked at again by the outer loop
        }
    }

    /// <summary>Width in runes, as tabwriter counts UTF-8 text ("…" is one).</summary>
    static int DisplayWidth(string s)
    {
        int n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }
}
