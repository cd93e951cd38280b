package io.jvswitch.control.service;

import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.nat.Connection;
import io.jvswitch.nat.NatCounters;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The answer to {@code jvs conntrack} (the API's conntrack route): the tracked connections as rows,
 * each network by its name, with the translator's counters and drops. Only formats; the connections
 * are read on the dataplane thread by {@link NatService#conntrack}, which owns the engine.
 */
final class ConntrackReport {
    private ConntrackReport() {}

    /**
     * @param connections as the engine listed them, on the dataplane thread
     * @param networks the networks known, to name each connection's
     * @param relayFailures published-port relays that failed ({@code PortListeners})
     */
    static Map<String, Object> of(
            List<Connection> connections,
            Collection<NetworkRecord> networks,
            NatCounters counters,
            long relayFailures) {
        final Map<Integer, String> names = new LinkedHashMap<>();
        networks.forEach(n -> names.put(n.dataplaneId(), n.name()));
        final List<Map<String, Object>> rows = new ArrayList<>();
        for (Connection c : connections) {
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("protocol", c.protocol());
            row.put("network", c.network() < 0 ? "host" : names.getOrDefault(c.network(), "#" + c.network()));
            row.put("source", c.source() + ":" + c.sourcePort());
            row.put("destination", c.destination() + ":" + c.destinationPort());
            row.put(
                    "replyNetwork",
                    c.replyNetwork() < 0 ? "host" : names.getOrDefault(c.replyNetwork(), "#" + c.replyNetwork()));
            row.put("replySource", c.replySource() + ":" + c.replySourcePort());
            row.put("replyDestination", c.replyDestination() + ":" + c.replyDestinationPort());
            row.put("state", c.state());
            row.put("secondsLeft", c.secondsLeft());
            row.put(
                    "nat",
                    (c.sourceNat() ? "snat" : "")
                            + (c.sourceNat() && c.destinationNat() ? "," : "")
                            + (c.destinationNat() ? "dnat" : ""));
            row.put("packets", c.packetsOriginal());
            row.put("replyPackets", c.packetsReply());
            rows.add(row);
        }
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("connections", rows);
        out.put("count", counters.connections());
        out.put("limit", counters.limit());
        out.putAll(counters.countsByLabel()); // created, expired, translated, ...: every NatCounter by its label
        out.put("drops", counters.dropsByReason());
        out.put("relayFailures", relayFailures);
        return out;
    }
}
