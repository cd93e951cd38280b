package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The drop-reason table in the design docs is generated from {@link DropReason}: this test fails
 * when the two differ, and {@code -Djvs.docs.write=true} writes the table the enum gives.
 */
class DropReasonTableTest {
    private static final Path DOC = Path.of("..", "docs", "design", "packet-path.md");
    private static final String BEGIN = "<!-- drop-reasons:begin -->\n";
    private static final String END = "<!-- drop-reasons:end -->";

    /** The table as the enum gives it: one row per reason, in enum order. */
    static String table() {
        final StringBuilder out = new StringBuilder("| reason | stage | meaning |\n|---|---|---|\n");
        for (DropReason reason : DropReason.values()) {
            out.append("| `")
                    .append(reason.label())
                    .append("` | ")
                    .append(reason.stage().label())
                    .append(" | ")
                    .append(reason.description().replace("|", "\\|"))
                    .append(" |\n");
        }
        return out.toString();
    }

    @Test
    void theDocsListEveryReasonAsTheEnumDoes() throws IOException {
        final String doc = Files.readString(DOC);
        final int begin = doc.indexOf(BEGIN);
        final int end = doc.indexOf(END);
        assertTrue(begin >= 0 && end > begin, DOC + " holds the drop-reasons markers");
        final String written = doc.substring(begin + BEGIN.length(), end);
        if (Boolean.getBoolean("jvs.docs.write") && !written.equals(table())) {
            Files.writeString(DOC, doc.substring(0, begin + BEGIN.length()) + table() + doc.substring(end));
            return;
        }
        assertEquals(
                table(),
                written,
                "the drop-reason table in " + DOC + " is out of date: run this test with -Djvs.docs.write=true");
    }
}
