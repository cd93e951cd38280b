package io.jvswitch.control.model;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The state kept in the daemon's state directory, one JSON file. The state is written to a temporary file, flushed to disk, renamed
 * over the old file and the directory flushed, so a crash at any moment leaves either the old state
 * or the new one, never a torn file.
 */
public final class StateFile implements StateStore {
    private static final String FILE = "state.json";

    private final Path directory;
    private final ObjectMapper json;

    public StateFile(Path directory, ObjectMapper json) {
        this.directory = directory;
        this.json = json;
    }

    public Path file() {
        return directory.resolve(FILE);
    }

    /** Reads the state, or an empty one if none was saved. A corrupt file stops the daemon. */
    @Override
    public DaemonState load() {
        final Path file = file();
        if (!Files.exists(file)) {
            return DaemonState.empty();
        }
        try {
            final DaemonState state = json.readValue(file.toFile(), DaemonState.class);
            if (state.version() != DaemonState.VERSION) {
                throw new IllegalStateException("state file " + file + " has version " + state.version()
                        + "; this jvs reads version " + DaemonState.VERSION);
            }
            return state;
        } catch (IOException e) {
            throw new IllegalStateException(
                    "state file " + file + " cannot be read: " + e.getMessage()
                            + " (move it away to start with no networks)",
                    e);
        }
    }

    @Override
    public void save(DaemonState state) {
        try {
            Files.createDirectories(directory);
            final Path tmp = directory.resolve(FILE + ".tmp");
            final byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(state);
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                final ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                dir.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write state to " + directory + ": " + e.getMessage(), e);
        }
    }
}
