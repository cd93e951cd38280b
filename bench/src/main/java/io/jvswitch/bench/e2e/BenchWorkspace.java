package io.jvswitch.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A temporary directory for daemon sockets, databases and logs; removed with everything in it. */
public final class BenchWorkspace implements AutoCloseable {
    private final Path root;

    public BenchWorkspace() throws IOException {
        this.root = Files.createTempDirectory("jvs-bench-");
    }

    public Path dir(String name) throws IOException {
        return Files.createDirectories(root.resolve(name));
    }

    public Path root() {
        return root;
    }

    @Override
    public void close() {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; nothing outside it was written
        }
    }
}
