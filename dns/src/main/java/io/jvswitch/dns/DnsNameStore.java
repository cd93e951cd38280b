package io.jvswitch.dns;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The local names, as one immutable {@link NameSnapshot} that readers take with a single volatile
 * read and writers replace whole. Updates come from the control plane (rare); each builds a new
 * snapshot on the caller's thread, never the dataplane's.
 *
 * <p>Bounded: at most {@code maxRecords} records (every name, alias, {@code name.network} and
 * reverse name of an endpoint is one record per address); beyond it names are left out, logged and
 * counted under {@link DnsCounter#NAMES_OVER_LIMIT}.
 */
public final class DnsNameStore {
    private static final System.Logger LOG = System.getLogger("jvs.dns");

    private final int maxRecords;
    private final DnsCounters counters;
    private volatile List<InetSocketAddress> defaultUpstreams;
    private volatile NameSnapshot current = NameSnapshot.empty();

    public DnsNameStore(int maxRecords, List<InetSocketAddress> defaultUpstreams, DnsCounters counters) {
        if (maxRecords < 1) {
            throw new IllegalArgumentException("maxRecords must be positive");
        }
        this.maxRecords = maxRecords;
        this.defaultUpstreams = List.copyOf(defaultUpstreams);
        this.counters = counters;
    }

    /** Replaces every name; safe from any thread, serialized against other updates. */
    public synchronized void update(List<DnsNetwork> networks, List<DnsEndpointName> endpoints) {
        final NameSnapshot next = new NameSnapshot.Builder(maxRecords, defaultUpstreams).build(networks, endpoints);
        if (next.namesOverLimit() > 0) {
            counters.add(DnsCounter.NAMES_OVER_LIMIT, next.namesOverLimit());
            LOG.log(
                    System.Logger.Level.WARNING,
                    "{0} names left out of the DNS name store (limit {1} records)",
                    next.namesOverLimit(),
                    maxRecords);
        }
        current = next;
    }

    NameSnapshot current() {
        return current;
    }

    List<InetSocketAddress> defaultUpstreams() {
        return defaultUpstreams;
    }

    public int maxRecords() {
        return maxRecords;
    }

    /** Number of distinct names (keys) in the current snapshot. */
    public int names() {
        return current.names();
    }
}
