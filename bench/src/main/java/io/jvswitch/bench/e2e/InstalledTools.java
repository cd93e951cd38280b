package io.jvswitch.bench.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Whether the tools a reference path runs are installed: a path without them is skipped, saying why. */
final class InstalledTools {
    private InstalledTools() {}

    /** "TOOL is not installed (HINT)" for the first of {@code tools} not on the PATH, or null when all are. */
    static String missing(List<String> tools, String hint) {
        for (String tool : tools) {
            if (!onPath(tool)) {
                return tool + " is not installed (" + hint + ")";
            }
        }
        return null;
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv()
                .getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                .split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
