package io.jvswitch.control.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Column-aligned plain-text output, like {@code docker network ls}. */
final class TextTable {
    private final List<String[]> rows = new ArrayList<>();

    TextTable(String... header) {
        rows.add(header);
    }

    TextTable row(Object... cells) {
        final String[] text = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            text[i] = cells[i] == null ? "" : cells[i].toString();
        }
        rows.add(text);
        return this;
    }

    void print(PrintWriter out) {
        final int columns = rows.getFirst().length;
        final int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            final StringBuilder line = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                line.append(row[c]);
                if (c < columns - 1) {
                    line.append(" ".repeat(widths[c] - row[c].length() + 3));
                }
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }
}
