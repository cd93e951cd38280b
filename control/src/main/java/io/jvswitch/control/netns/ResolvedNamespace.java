package io.jvswitch.control.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A container's network namespace, found: the file that names it (for setns and nsenter), how
 * {@code ip link set ... netns} names it (an ip-netns name or a PID), and its inode, which
 * identifies the namespace itself so a deleted-and-recreated namespace of the same name is noticed.
 */
public record ResolvedNamespace(Path file, String linkTarget, long inode) {

    public static ResolvedNamespace of(Path file, String linkTarget) {
        return new ResolvedNamespace(file, linkTarget, inodeOf(file));
    }

    /** Whether the namespace this record was made for still exists under the same file. */
    public boolean stillExists() {
        return inode >= 0 && inodeOf(file) == inode;
    }

    static long inodeOf(Path file) {
        try {
            return ((Number) Files.getAttribute(file, "unix:ino")).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }
}
