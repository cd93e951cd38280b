package io.jvswitch.switching;

/** Per-network figures: FDB occupancy and its overflow counters, floods and proxy-ARP answers. */
public record NetworkStats(
        String name,
        int ports,
        int macEntries,
        int macLimit,
        long macsLearned,
        long macsMoved,
        long macsAged,
        long macRefusedTableFull,
        long macRefusedPortLimit,
        int knownAddresses,
        long flooded,
        long unknownUnicast,
        long arpAnswered,
        long routedIn,
        long routedOut,
        long fragmented,
        long icmpErrors,
        long serviceRequests,
        long serviceReplies) {}
