package io.jvswitch.switching;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.capture.PacketTrace;
import io.jvswitch.switching.service.RoutingHook;

import java.util.List;

/**
 * Turns a frame's {@link TraceRecord}s into the text of its {@link PacketTrace}, once the frame is
 * done: the one place the trace's English lives (VPP's {@code format_*_trace}). Runs on the
 * dataplane thread, after the frame, while the ports and networks it names are still there.
 */
final class TraceFormatter {
    private final PortTable table;
    private Domains networks;

    TraceFormatter(PortTable table) {
        this.table = table;
    }

    /** The networks by id; set once, when the agent has built its registry. */
    void networks(Domains networks) {
        this.networks = networks;
    }

    /** Writes every record, in order, into {@code trace}. */
    void write(List<TraceRecord> records, PacketTrace trace) {
        for (TraceRecord r : records) {
            if (r.event().isVerdict()) {
                trace.verdict(verdict(r));
            } else {
                trace.note(stage(r), detail(r));
            }
        }
    }

    private static String stage(TraceRecord r) {
        return switch (r.event()) {
            case NOTE -> r.stage();
            case DROPPED -> DropReason.VALUES[(int) r.a()].stage().label();
            default -> r.event().stage;
        };
    }

    private String detail(TraceRecord r) {
        return switch (r.event()) {
            case RX ->
                "port " + port(r.a()) + " (network " + table.domains[(int) r.a()].name + "), " + r.b() + " bytes"
                        + (r.c() != 0 ? ", synthetic: nothing is sent or learned" : "");
            case INGRESS_PASSED ->
                "passed: " + MacAddress.format(r.a()) + " -> " + MacAddress.format(r.b())
                        + String.format(", ethertype 0x%04x", r.c())
                        + (r.d() >= 0 ? ", GSO super-frame (gso_size " + r.d() + ")" : "");
            case PORT_SECURITY ->
                table.enforced[(int) r.a()]
                        ? "source MAC and address are the endpoint's"
                        : "off for this endpoint (--allow-spoofing)";
            case LEARN -> MacAddress.format(r.a()) + " on " + port(r.b()) + ": " + learnResult((int) r.c());
            case L2_GROUP ->
                MacAddress.format(r.a()) + " is " + (MacAddress.isBroadcast(r.a()) ? "broadcast" : "multicast")
                        + ": flood";
            case L2_UNKNOWN ->
                "FDB of " + network(r.a()) + ": " + MacAddress.format(r.b()) + " not learned: flood as unknown unicast";
            case L2_HIT -> "FDB of " + network(r.a()) + ": " + MacAddress.format(r.b()) + " -> port " + port(r.c());
            case ARP_NOT_A_QUESTION ->
                (r.a() == ArpPacket.OP_REPLY ? "a reply" : "a gratuitous ARP")
                        + ": not answered, forwarded like any frame";
            case ARP_UNANSWERED ->
                "who-has " + Ipv4Address.format((int) r.b()) + ": "
                        + (r.c() == 0 ? "not in the address book of " + network(r.a()) : "the asker's own address")
                        + ": flood";
            case ARP_ANSWERED ->
                "who-has " + Ipv4Address.format((int) r.b()) + ": address book of " + network(r.a()) + " says "
                        + MacAddress.format(r.c()) + ": answered by the switch";
            case ARP_LEARNED_FROM_TUNNEL ->
                "learned " + Ipv4Address.format((int) r.a()) + " at " + MacAddress.format(r.b()) + " from the tunnel";
            case NDP_UNANSWERED ->
                "who-has " + address6(r.b(), r.c()) + ": "
                        + (r.d() == 0 ? "not in the IPv6 address book of " + network(r.a()) : "the asker's own")
                        + ": forwarded like any frame";
            case NDP_ANSWERED ->
                "who-has " + address6(r.b(), r.c()) + ": IPv6 address book of " + network(r.a()) + " says "
                        + MacAddress.format(r.d()) + ": answered by the switch";
            case NDP_LEARNED_FROM_TUNNEL ->
                "learned " + address6(r.a(), r.b()) + " at " + MacAddress.format(r.c()) + " from the tunnel";
            case GATEWAY_ECHO -> "echo request to " + Ipv4Address.format((int) r.a()) + ": answered by the switch";
            case GATEWAY_SERVICE -> "UDP to port " + r.a() + " of the gateway: handed to its service";
            case HOST_ARP_FOR_ROUTER ->
                "who-has " + Ipv4Address.format((int) r.a()) + " from the host: the router's link address";
            case NAT6_PRE_ROUTE, NAT6_POST_ROUTE -> TraceFlow6.format(r);
            case ROUTE_INTERNAL_NO_WAY_OUT -> "network " + network(r.a()) + " is internal: no way out";
            case ROUTE_NO_HOST_LINK -> "no host link: nothing beyond the networks is reachable";
            case ROUTE_BEYOND_NETWORKS -> address(r.a()) + " is beyond the networks: to the host link";
            case ROUTE_ISOLATED -> address(r.a()) + " is in network " + network(r.b()) + ": networks are isolated";
            case ROUTE_OTHER_GATEWAY -> "another network's gateway";
            case ROUTE_IN_NETWORK -> address(r.a()) + " is in network " + network(r.b());
            case ROUTE_GATEWAY_TO_HOST -> "for the gateway address: to the host, which owns it";
            case ROUTE_GATEWAY_SERVES_DNS_ONLY -> "internal network: the gateway serves DNS only";
            case ROUTE_NO_HOST_LINK_BEHIND_GATEWAY -> "no host link behind the gateway";
            case ROUTE_ROUTER_ANSWERS_PING_ONLY -> "the router's link address answers ping only";
            case ROUTE_IN_NO_NETWORK -> address(r.a()) + " is in no network";
            case ROUTE_INTERNAL_FROM_HOST -> "network " + network(r.a()) + " is internal: the host cannot reach it";
            case ROUTE_FROM_HOST -> "from the host to " + address(r.a()) + " in network " + network(r.b());
            case ROUTE_TTL_EXPIRES -> "TTL expires here";
            case ROUTE_TOO_BIG -> r.a() + " bytes with DF set, next hop MTU " + r.b();
            case ROUTE_NO_NEIGHBOR -> address(r.a()) + " is no endpoint of " + network(r.b());
            case HOST_NDP_FOR_ROUTER ->
                "who-has " + address6(r.a(), r.b()) + " from the host: the router's link-local address";
            case GATEWAY_ECHO6 -> "echo request to " + address6(r.a(), r.b()) + ": answered by the switch";
            case GATEWAY6_SERVICE ->
                "UDP to port " + r.a() + " of the IPv6 gateway " + address6(r.b(), r.c()) + ": handed to its service";
            case ROUTE_GATEWAY6_ANSWERS_PING_AND_SERVICE_ONLY ->
                "internal network: the gateway answers ping6 and its UDP service only";
            case ROUTE_ROUTER_ANSWERS_PING6_ONLY -> "the router's link-local address answers ping6 only";
            case ROUTE6_BEYOND_NETWORKS -> address6(r.a(), r.b()) + " is beyond the networks: to the host link";
            case ROUTE6_ISOLATED ->
                address6(r.a(), r.b()) + " is in network " + network(r.c()) + ": networks are isolated";
            case ROUTE6_IN_NETWORK -> address6(r.a(), r.b()) + " is in network " + network(r.c());
            case ROUTE6_IN_NO_NETWORK -> address6(r.a(), r.b()) + " is in no network";
            case ROUTE6_FROM_HOST -> "from the host to " + address6(r.a(), r.b()) + " in network " + network(r.c());
            case ROUTE_HOP_LIMIT_EXPIRES -> "hop limit " + r.a() + ": expires here";
            case ROUTE6_TOO_BIG -> r.a() + " bytes, next hop MTU " + r.b() + ": packet too big";
            case ROUTE6_NO_NEIGHBOR -> address6(r.a(), r.b()) + " is no endpoint of " + network(r.c());
            case NAT_PRE_ROUTE, NAT_POST_ROUTE -> translation(r);
            case DROPPED -> {
                final DropReason reason = DropReason.VALUES[(int) r.a()];
                yield "dropped: " + reason.label() + " (" + reason.description() + ")";
            }
            default -> r.text();
        };
    }

    private String verdict(TraceRecord r) {
        return switch (r.event()) {
            case FORWARDED_TO -> "forwarded to " + port(r.a());
            case FLOODED_IN -> "flooded in " + network(r.a()) + " to " + floodedTo(r.a(), (int) r.b());
            case PROXY_ARP_VERDICT -> "answered (proxy-ARP) out of " + port(r.a());
            case PROXY_NDP_VERDICT -> "answered (proxy-NDP) out of " + port(r.a());
            case ECHO_REPLY_VERDICT -> "answered (ICMP echo reply) out of " + port(r.a());
            case ECHO6_REPLY_VERDICT -> "answered (ICMPv6 echo reply) out of " + port(r.a());
            case SERVICE_DRY_RUN_VERDICT -> "handed to the gateway's service (not run for a synthetic frame)";
            case ROUTED_VERDICT ->
                "routed to " + (r.a() == RoutingHook.HOST_LINK ? "the host link" : "network " + network(r.a()));
            case ROUTED_TO_HOST_LINK_VERDICT -> "routed to the host link (" + port(r.a()) + ")";
            case DROPPED_VERDICT -> "dropped at " + port(r.a()) + ": " + DropReason.VALUES[(int) r.b()].label();
            default -> r.event().name(); // every verdict has its words above
        };
    }

    /** The members of a network but the ingress, as the flood found them (the frame is just done). */
    private String floodedTo(long networkId, int ingress) {
        final BridgeDomain domain = networks.get((int) networkId);
        final StringBuilder to = new StringBuilder();
        for (int i = 0; domain != null && i < domain.memberCount(); i++) {
            if (domain.member(i) != ingress) {
                to.append(to.isEmpty() ? "" : ", ").append(port(domain.member(i)));
            }
        }
        return to.isEmpty() ? "no other port" : to.toString();
    }

    private String port(long slot) {
        return table.ports[(int) slot] == null ? "slot " + slot : table.ports[(int) slot].name();
    }

    private static String translation(TraceRecord r) {
        final String before = TraceFlow.format(r.a(), r.b());
        final String after = TraceFlow.format(r.c(), r.d());
        return (before.equals(after) ? "unchanged: " + after : before + " translated to " + after)
                + (TraceFlow.tracked(r.d()) ? " (a tracked connection)" : "");
    }

    private static String address(long address) {
        return Ipv4Address.format((int) address);
    }

    private static String address6(long high, long low) {
        return Ipv6Address.format(high, low);
    }

    private String network(long id) {
        final BridgeDomain domain = networks == null ? null : networks.get((int) id);
        return domain == null ? "#" + id : domain.name;
    }

    private static String learnResult(int result) {
        return switch (result) {
            case MacTable.LEARNED -> "learned";
            case MacTable.REFRESHED -> "refreshed";
            case MacTable.MOVED -> "moved here from another port";
            case MacTable.REFUSED_TABLE_FULL -> "not learned: the network's MAC table is full";
            case MacTable.REFUSED_INVALID -> "not learned: not a station address";
            default -> "not learned: the port's MAC limit is reached";
        };
    }
}
