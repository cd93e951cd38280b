package io.jvswitch.control.model;

/**
 * Where the control plane keeps what it must remember across restarts: its networks, endpoints and
 * the intents of changes under way. {@link StateFile} keeps it in one file in the state directory,
 * replaced atomically; with {@code --cluster-store}, {@code cluster.ClusterStateStore} writes that
 * file first and mirrors it into the cluster store under this host's name, so that a host without
 * its file (a replaced disk) starts from the copy. The cluster store keeps the claims of global
 * networks (names, VNIs, addresses) through {@code service.ClusterScope}; this host's own view of
 * them is saved here too, so a daemon without its store comes back with what it had.
 */
public interface StateStore {
    /** The saved state, or an empty one if none was saved; fails when it cannot be read. */
    DaemonState load();

    /** Replaces the saved state; an {@link java.io.UncheckedIOException} when it cannot be written. */
    void save(DaemonState state);
}
