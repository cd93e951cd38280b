package io.jvswitch.bench.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the jvs paths share: the daemons they start (one per host namespace, all with the same
 * extra options), which are the processes that move the frames, whose logs explain a failure,
 * and which {@link #close()} stops by PID.
 */
abstract class JvsPath implements DataplanePath {
    private final List<String> daemonArgs;
    private final List<JvsHost> hosts = new ArrayList<>();

    JvsPath(List<String> daemonArgs) {
        this.daemonArgs = List.copyOf(daemonArgs);
    }

    List<String> daemonArgs() {
        return daemonArgs;
    }

    /** {@code base}, or {@code base-NAME} for variant {@code NAME} (null: the path itself). */
    static String variantKey(String base, String variant) {
        return variant == null ? base : base + "-" + variant;
    }

    /** {@code base}, followed for a variant by the daemon options that make it one. */
    String variantTitle(String base, String variant) {
        return variant == null ? base : base + " " + String.join(" ", daemonArgs);
    }

    /**
     * Starts a daemon in {@code hostNamespace}, with its socket, state and log under {@code dir},
     * and waits until it answers. It is this path's (and {@link #close()} stops it) from the
     * moment its process exists: a Ctrl-C while it comes up must not leave it running.
     */
    JvsHost startHost(String hostNamespace, Path dir) throws Exception {
        final JvsHost host = JvsHost.launch(hostNamespace, dir, daemonArgs);
        synchronized (hosts) {
            hosts.add(host);
        }
        host.awaitReady();
        return host;
    }

    @Override
    public List<Long> dataplanePids() {
        synchronized (hosts) {
            return hosts.stream().map(JvsHost::pid).toList();
        }
    }

    /**
     * The jvs daemons still running (one that exited is not signalled: its PID may be reused): with
     * {@code --idle busy-spin} one would take a core from every other path.
     */
    @Override
    public List<Long> pausablePids() {
        synchronized (hosts) {
            return hosts.stream().filter(JvsHost::isAlive).map(JvsHost::pid).toList();
        }
    }

    @Override
    public String log() {
        final StringBuilder text = new StringBuilder();
        synchronized (hosts) {
            for (int i = 0; i < hosts.size(); i++) {
                text.append(hosts.size() > 1 ? "host " + (char) ('A' + i) + ":\n" : "")
                        .append(hosts.get(i).log());
            }
        }
        return text.toString();
    }

    @Override
    public void close() {
        synchronized (hosts) {
            hosts.forEach(JvsHost::close);
        }
    }
}
