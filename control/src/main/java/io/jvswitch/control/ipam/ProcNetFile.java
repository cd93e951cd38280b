package io.jvswitch.control.ipam;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** A routing table file under {@code /proc/net}, read whole, as {@link HostRoutes} and {@link Ipv6HostRoutes} do. */
final class ProcNetFile {
    private ProcNetFile() {}

    /**
     * The file's text, or an empty one where it does not exist (not Linux, or no IPv6): no routes.
     *
     * @throws UncheckedIOException if the file exists but cannot be read
     */
    static String text(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
