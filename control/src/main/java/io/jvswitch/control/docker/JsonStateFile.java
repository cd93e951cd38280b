package io.jvswitch.control.docker;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * One of the plugin's files beside the daemon's state, read whole and written whole: a temporary
 * file flushed, renamed over the old one, then the directory flushed, so a crash leaves the old
 * content or the new, never a mix. A file that cannot be read stops the daemon rather than let it
 * hand out what it already gave.
 */
final class JsonStateFile<T> {
    private final Path file;
    private final ObjectMapper json;
    private final Class<T> type;

    JsonStateFile(Path stateDir, String name, ObjectMapper json, Class<T> type) {
        this.file = stateDir.resolve(name);
        this.json = json;
        this.type = type;
    }

    /** The content, or null when there is no file yet. */
    T read() {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return json.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "Docker plugin file " + file + " cannot be read: " + e.getMessage()
                            + " (move it away to start without it)",
                    e);
        }
    }

    void write(T content) {
        try {
            Files.createDirectories(file.getParent());
            final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                final ByteBuffer bytes =
                        ByteBuffer.wrap(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(content));
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                directory.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
