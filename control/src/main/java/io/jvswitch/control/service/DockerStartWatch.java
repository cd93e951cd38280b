package io.jvswitch.control.service;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Follows the {@code start} events of the Docker engines that {@code attach --docker} endpoints
 * live on ({@code docker events}, one process per engine), so a container that starts again is
 * attached again at once instead of at its next look (see {@link NetworkService#retryWaiting()}).
 * {@link #follow} is called on every tick with the engines wanted now: it starts what is missing,
 * restarts what died (the tick is the backoff) and stops what is no longer wanted. Bounded: at
 * most {@link #MAX_ENGINES} engines are followed; the others rely on the periodic look alone.
 */
public final class DockerStartWatch implements AutoCloseable {
    static final int MAX_ENGINES = 16;
    private static final System.Logger LOG = System.getLogger("jvs.control");
    /** The key of the docker CLI's default engine (no -H). */
    private static final String DEFAULT_ENGINE = "";

    /** Called with the container's name and id when it starts; on the reader's thread. */
    private final BiConsumer<String, String> started;

    private final Map<String, Process> watches = new HashMap<>();

    public DockerStartWatch(BiConsumer<String, String> started) {
        this.started = started;
    }

    /** @param engines the engines to follow, null for the docker CLI's default */
    public synchronized void follow(Set<String> engines) {
        final Set<String> wanted = new HashSet<>();
        engines.forEach(e -> wanted.add(e == null ? DEFAULT_ENGINE : e));
        for (String engine : List.copyOf(watches.keySet())) {
            if (!wanted.contains(engine) || !watches.get(engine).isAlive()) {
                stop(watches.remove(engine));
            }
        }
        for (String engine : wanted) {
            if (!watches.containsKey(engine) && watches.size() < MAX_ENGINES) {
                start(engine);
            }
        }
    }

    private void start(String engine) {
        final List<String> command = new ArrayList<>(List.of("docker"));
        if (!engine.equals(DEFAULT_ENGINE)) {
            command.addAll(List.of("-H", engine));
        }
        command.addAll(List.of(
                "events",
                "--filter",
                "type=container",
                "--filter",
                "event=start",
                "--format",
                "{{.ID}} {{.Actor.Attributes.name}}"));
        final Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            return; // no docker CLI: the periodic look still finds the container
        }
        watches.put(engine, process);
        Thread.ofPlatform().daemon().name("jvs-docker-events").start(() -> read(process));
    }

    private void read(Process process) {
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                final String[] fields = line.strip().split(" ", 2);
                if (fields.length == 2) {
                    LOG.log(System.Logger.Level.DEBUG, "docker event: start {0}", fields[1]);
                    started.accept(fields[1], fields[0]);
                }
            }
        } catch (IOException e) {
            // the process ended: the next tick starts it again
        }
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        watches.values().forEach(DockerStartWatch::stop);
        watches.clear();
    }
}
