package io.jvswitch.control.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One daemon per state directory: an exclusive lock on {@code lock} in the directory, taken before
 * the state is read and held for the daemon's life (the kernel releases it when the process dies,
 * also on kill -9, so a crashed daemon never leaves a stale lock). The owner's PID is written into
 * the file so a second daemon can say whom it found there.
 */
public final class StateDirectoryLock implements AutoCloseable {
    static final String FILE = "lock";

    private final FileChannel channel;
    private final FileLock lock;

    private StateDirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the directory's lock, or throws {@link IllegalStateException} naming the daemon that
     * holds it. Creates the directory if needed; reads and changes nothing else in it.
     */
    public static StateDirectoryLock acquire(Path directory) {
        final Path file = directory.resolve(FILE);
        final FileChannel channel;
        try {
            Files.createDirectories(directory);
            channel = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot open the state directory's lock " + file + ": " + e.getMessage(), e);
        }
        try {
            final FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new IllegalStateException("state directory " + directory + " is already in use by this process");
            }
            if (lock == null) {
                throw new IllegalStateException("state directory " + directory + " is in use by another jvs daemon"
                        + ownerOf(channel) + ": stop it first, or give this one its own --state-dir");
            }
            // The PID is for people and for the next daemon's message; the lock itself is the guard.
            channel.truncate(0);
            final ByteBuffer pid =
                    ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
            while (pid.hasRemaining()) {
                channel.write(pid, pid.position());
            }
            channel.force(false);
            return new StateDirectoryLock(channel, lock);
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already failing: report the first error
            }
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("cannot lock the state directory " + directory + ": " + e.getMessage(), e);
        }
    }

    /** " (PID n)" from the lock file, or "" when the owner has not written it yet. */
    private static String ownerOf(FileChannel channel) throws IOException {
        final ByteBuffer buffer = ByteBuffer.allocate(32);
        channel.read(buffer, 0);
        final String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
        return text.matches("\\d{1,10}") ? " (PID " + text + ")" : "";
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the process is exiting: the kernel drops the lock with the descriptor anyway
        }
    }
}
