package io.jvswitch.control.cluster;

/**
 * What every part of this host's cluster member works with: the store's writes (applied to the
 * view as they are confirmed), the view itself, the key layout, who this host is, and its
 * registration (whether the store answers, the lease to write under).
 */
record ClusterContext(
        StoreWriter writer,
        ClusterView view,
        ClusterKeys keys,
        ClusterAgent.Options options,
        ClusterMembership membership) {}
