package io.jvswitch.control.cluster;

import io.jvswitch.control.model.DaemonState;

/**
 * A host's saved state as mirrored into the cluster store: the daemon's state file with who wrote
 * it and when, so that a host whose disk was replaced can start again from it.
 */
record HostStateRecord(String host, String savedAt, DaemonState state) {}
