package io.jvswitch.control.service;

/**
 * The {@link NetworkScope} of global networks, over the cluster store
 * ({@code io.jvswitch.control.cluster.ClusterAgent}); absent on a daemon without {@code
 * --cluster-store}, where every network is local. Its claims are made in the store with
 * transactions, so that hosts creating or attaching at the same moment cannot both win; they fail
 * at once with 503 when the store does not answer. It also says how this host's end of a global
 * overlay looks.
 */
public interface ClusterScope extends NetworkScope {
    /** This host's underlay address (its VTEP binds it) and VXLAN port. */
    String advertiseAddress();

    int vxlanPort();
}
