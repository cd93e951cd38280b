package io.jvswitch.control.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.model.DaemonState;
import io.jvswitch.control.model.StateFile;
import io.jvswitch.control.model.StateStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * The daemon's state in cluster mode: the local {@link StateFile} first, and a copy in the cluster
 * store under this host's name. The file is the state (written before a change is made, crash-safe,
 * there while etcd is not); the copy is mirrored after each save and never fails the change
 * ({@link StateMirror}). It serves one case: a daemon that starts with no state file (a replaced
 * disk, the same {@code --cluster-host-name} on a new machine) takes this host's networks and
 * endpoints back from the store, and the restore brings back those whose containers are there. A
 * record that does not parse, or that names another host, is ignored and counted.
 */
public final class ClusterStateStore implements StateStore {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    private final StateFile local;
    private final KeyValueStore store;
    private final StateMirror mirror;
    private final String host;
    private final ObjectMapper json;

    /** Where the last load came from: "local file", "cluster store", or "none". */
    private volatile String loadedFrom = "not loaded";

    private volatile long ignoredRecords;

    ClusterStateStore(StateFile local, KeyValueStore store, StateMirror mirror, String host, ObjectMapper json) {
        this.local = local;
        this.store = store;
        this.mirror = mirror;
        this.host = host;
        this.json = json;
    }

    /**
     * True when there is no state file, or an empty one (zero bytes): what a new disk holds, and
     * what this store restores from the cluster store.
     */
    public static boolean blank(StateFile file) {
        final Path path = file.file();
        try {
            return !Files.exists(path) || Files.size(path) == 0;
        } catch (IOException e) {
            return false; // let the file's own read say what is wrong
        }
    }

    /**
     * The local state file's state; with none, this host's record in the cluster store, written to
     * the local file at once. Fails when there is no file and the store does not answer: starting
     * empty would overwrite the record with nothing at the first save.
     */
    @Override
    public DaemonState load() {
        if (!blank(local)) {
            final DaemonState state = local.load();
            loadedFrom = "local file";
            LOG.log(
                    System.Logger.Level.INFO,
                    "state from the local file {0} ({1} networks, {2} endpoints), mirrored to {3}",
                    local.file(),
                    state.networks().size(),
                    state.endpoints().size(),
                    mirror.key());
            mirrorOf(state); // the store's copy may be older: a mirror that failed before a restart
            return state;
        }
        final KeyValueStore.Range range;
        try {
            range = store.get(mirror.key());
        } catch (StoreUnavailableException e) {
            throw new IllegalStateException("there is no state file " + local.file()
                    + ", and this host's record " + mirror.key() + " in the cluster store cannot be read ("
                    + e.getMessage() + "): not starting with no networks, which would overwrite it");
        }
        if (range.kvs().isEmpty()) {
            loadedFrom = "none";
            LOG.log(
                    System.Logger.Level.INFO,
                    "no state file and no record {0} in the cluster store: starting with no networks",
                    mirror.key());
            return DaemonState.empty();
        }
        final HostStateRecord record = parse(range.kvs().getFirst().value());
        if (record == null) {
            loadedFrom = "none";
            return DaemonState.empty();
        }
        local.save(record.state());
        loadedFrom = "cluster store";
        LOG.log(
                System.Logger.Level.INFO,
                "no state file: state restored from the cluster store record {0} saved at {1}"
                        + " ({2} networks, {3} endpoints), written to {4}",
                mirror.key(),
                record.savedAt(),
                record.state().networks().size(),
                record.state().endpoints().size(),
                local.file());
        return record.state();
    }

    /** The record, or null (logged and counted) when it does not parse or is not this host's. */
    private HostStateRecord parse(byte[] value) {
        String problem;
        try {
            final HostStateRecord record = json.readValue(value, HostStateRecord.class);
            if (record == null || record.state() == null) {
                problem = "no state in it";
            } else if (!host.equals(record.host())) {
                problem = "it is host " + record.host() + "'s";
            } else if (record.state().version() != DaemonState.VERSION) {
                problem = "version " + record.state().version() + ", this jvs reads " + DaemonState.VERSION;
            } else {
                return record;
            }
        } catch (IOException | RuntimeException e) {
            problem = String.valueOf(e.getMessage()).lines().findFirst().orElse("unreadable");
        }
        ignoredRecords++;
        LOG.log(
                System.Logger.Level.WARNING,
                "this host''s record {0} in the cluster store cannot be read ({1}): ignored,"
                        + " starting with no networks",
                mirror.key(),
                problem);
        return null;
    }

    /** Writes the local file (a failure refuses the change), then mirrors it (never fails it). */
    @Override
    public void save(DaemonState state) {
        local.save(state);
        mirrorOf(state);
    }

    private void mirrorOf(DaemonState state) {
        try {
            mirror.offer(json.writeValueAsBytes(
                    new HostStateRecord(host, Instant.now().toString(), state)));
        } catch (JsonProcessingException e) {
            LOG.log(System.Logger.Level.WARNING, "this host''s state not mirrored: {0}", e.getMessage());
        }
    }

    /** The state record's part of {@code jvs cluster status}. */
    Map<String, Object> status() {
        final Map<String, Object> out = mirror.status();
        out.put("loadedFrom", loadedFrom);
        out.put("ignoredRecords", ignoredRecords);
        return out;
    }
}
