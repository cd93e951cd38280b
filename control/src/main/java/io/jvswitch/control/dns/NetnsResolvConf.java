package io.jvswitch.control.dns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The resolv.conf of an {@code ip netns} container: {@code ip netns exec NAME} bind-mounts
 * {@code /etc/netns/NAME/resolv.conf} over {@code /etc/resolv.conf}, so writing that file points the
 * container's resolver at its gateways. The file jvs writes starts with a marker line; jvs rewrites
 * or removes only files carrying it, so a resolv.conf the user wrote is never touched, and a
 * restarted daemon knows which files are its own without keeping a list.
 */
public final class NetnsResolvConf {
    static final String MARKER = "# written by jvs: the gateways' DNS responder; removed on detach";
    /** glibc reads at most three nameserver lines (MAXNS). */
    static final int MAX_NAMESERVERS = 3;

    private final Path netnsDir;

    /** {@code netnsDir}: normally {@code /etc/netns}. */
    public NetnsResolvConf(Path netnsDir) {
        this.netnsDir = netnsDir;
    }

    /** The file's text for these gateways (Docker's embedded DNS uses {@code ndots:0} too). */
    static String text(List<String> gateways) {
        final StringBuilder sb = new StringBuilder(MARKER).append('\n');
        gateways.stream()
                .limit(MAX_NAMESERVERS)
                .forEach(g -> sb.append("nameserver ").append(g).append('\n'));
        return sb.append("options ndots:0\n").toString();
    }

    /**
     * Points namespace {@code name} at {@code gateways} (replacing a file jvs wrote before), or with
     * no gateways removes jvs's file.
     *
     * @return false when a resolv.conf jvs did not write is there (left as it is)
     */
    public boolean write(String name, List<String> gateways) throws IOException {
        final Path dir = netnsDir.resolve(name);
        final Path file = dir.resolve("resolv.conf");
        if (Files.exists(file) && !ours(file)) {
            return false;
        }
        if (gateways.isEmpty()) {
            remove(name);
            return true;
        }
        final String text = text(gateways);
        if (Files.exists(file) && Files.readString(file).equals(text)) {
            return true;
        }
        Files.createDirectories(dir);
        final Path temp = dir.resolve(".resolv.conf.jvs");
        Files.writeString(temp, text);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /** Removes the file if jvs wrote it, and the namespace's directory if that leaves it empty. */
    public void remove(String name) throws IOException {
        final Path dir = netnsDir.resolve(name);
        final Path file = dir.resolve("resolv.conf");
        if (Files.exists(file) && ours(file)) {
            Files.delete(file);
            try (var left = Files.list(dir)) {
                if (left.findAny().isEmpty()) {
                    Files.delete(dir);
                }
            }
        }
    }

    private static boolean ours(Path file) throws IOException {
        final String text = Files.readString(file);
        return text.startsWith(MARKER + "\n");
    }
}
