package io.jvswitch.control.service;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.HostLinkSpec;
import io.jvswitch.tap.TapDevice;
import io.jvswitch.tap.TapException;
import io.jvswitch.tap.TapPort;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The link between the switch's router and the host's own network stack: a TAP in the daemon's
 * namespace, as docker0 is a bridge in the host's.
 *
 * <p>The link is a small subnet of its own (169.254.42.0/30 by default): the host end has the
 * first address, the router the second. Each routed network adds its gateway address to the host
 * end as a /32, and a route to its subnet via the router with the gateway as source. So the host
 * reaches containers directly and they see it coming from their gateway; containers reach the
 * host's services at their gateway address (the host owns it too), which is also how DNS over TCP
 * reaches the daemon's listener. ICMP errors the router sends the host come from the router's
 * link address, never from an address the host owns (the host would drop those as martians).
 *
 * <p>The TAP is not persistent: when the daemon dies its descriptor closes and the kernel removes
 * the device with its addresses and routes, so a crash leaves nothing behind in the host.
 */
public final class HostLink implements NetworkEvents, AutoCloseable {
    public static final String DEFAULT_NAME = "jvs0";
    public static final String DEFAULT_CIDR = "169.254.42.0/30";
    private static final int MTU = 1500;

    private final String name;
    private final int hostIp;
    private final int routerIp;
    private final int prefixLength;
    private final long hostMac;
    private final long routerMac;
    private final CommandRunner runner;
    private Dataplane dataplane;
    /** Written by the control thread; read by capture threads to name the link's frames. */
    private volatile int slot = -1;
    /** Networks added before {@link #start}: a restarted daemon restores its endpoints first. */
    private final Map<String, NetworkRecord> pending = new LinkedHashMap<>();

    public HostLink(String name, Cidr link, CommandRunner runner) {
        if (link.prefixLength() > 30) {
            throw new IllegalArgumentException("the host link needs a subnet of at least 4 addresses (/30): " + link);
        }
        this.name = name;
        this.hostIp = link.network() + 1;
        this.routerIp = link.network() + 2;
        this.prefixLength = link.prefixLength();
        this.hostMac = linkMac(hostIp);
        this.routerMac = linkMac(routerIp);
        this.runner = runner;
    }

    /** Locally administered MACs in a range of their own (02:4a:fe + the address's low 24 bits). */
    private static long linkMac(int address) {
        return 0x02_4a_fe_00_00_00L | (address & 0xFF_FFFFL);
    }

    public String name() {
        return name;
    }

    /** The router end's dataplane slot, or -1 while unplugged. */
    public int slot() {
        return slot;
    }

    public int routerIp() {
        return routerIp;
    }

    public int hostIp() {
        return hostIp;
    }

    /** Creates the TAP, gives the host end its address and plugs the router end into the dataplane. */
    public void start(Dataplane dataplane) {
        if (Files.exists(Path.of("/sys/class/net", name))) {
            throw new IllegalStateException("the host link " + name + " exists already (another jvs daemon in this "
                    + "namespace?): stop it, or give this daemon another --host-link name");
        }
        final TapDevice device;
        try {
            device = TapDevice.open(name, true);
        } catch (TapException e) {
            throw new IllegalStateException("cannot create the host link " + name + ": " + e.getMessage(), e);
        }
        try {
            ip(
                    "cannot configure the host link " + name,
                    "link",
                    "set",
                    "dev",
                    name,
                    "address",
                    MacAddress.format(hostMac),
                    "mtu",
                    Integer.toString(MTU));
            // IPv6 stays off until a dual-stack network needs it (addRoute); without this the host
            // would send the link router solicitations and MLD reports the router only drops. The
            // router is configured, never advertised: no router advertisements are accepted here.
            runner.run(List.of(
                    "sysctl",
                    "-q",
                    "-w",
                    "net.ipv6.conf." + name + ".disable_ipv6=1",
                    "net.ipv6.conf." + name + ".accept_ra=0",
                    "net.ipv6.conf." + name + ".router_solicitations=0"));
            ip(
                    "cannot address the host link " + name,
                    "address",
                    "add",
                    Cidr.format(hostIp) + "/" + prefixLength,
                    "dev",
                    name);
            ip("cannot bring up the host link " + name, "link", "set", "dev", name, "up");
            this.dataplane = dataplane;
            slot = Dataplane.await(dataplane.plugHostLink(
                    new TapPort("host:" + name, device, MTU), new HostLinkSpec(routerMac, routerIp, hostMac)));
        } catch (RuntimeException e) {
            device.close(); // the device and everything configured on it go with the descriptor
            throw e;
        }
        for (NetworkRecord network : pending.values()) {
            addRoute(network);
        }
        pending.clear();
    }

    @Override
    public void networkAdded(NetworkRecord network) {
        if (slot < 0) {
            pending.put(network.name(), network);
        } else {
            addRoute(network);
        }
    }

    private void addRoute(NetworkRecord network) {
        if (network.hasIpv4()) {
            addIpv4Route(network);
        }
        if (network.ipv6() != null) {
            addIpv6Route(network);
        }
    }

    /**
     * The network's IPv4 gateway address on the host end as a /32, and its subnet routed via the
     * router, with the gateway as source.
     */
    private void addIpv4Route(NetworkRecord network) {
        final int gateway = Cidr.parseAddress(network.gateway());
        ip(
                "cannot give the host the gateway address of " + network.name(),
                "address",
                "replace",
                Cidr.format(gateway) + "/32",
                "dev",
                name);
        try {
            ip(
                    "cannot route " + network.subnet() + " to the switch",
                    "route",
                    "replace",
                    network.subnet(),
                    "via",
                    Cidr.format(routerIp),
                    "dev",
                    name,
                    "src",
                    Cidr.format(gateway));
        } catch (RuntimeException e) {
            runner.run(List.of("ip", "address", "del", Cidr.format(gateway) + "/32", "dev", name));
            throw e;
        }
    }

    /**
     * The same for a dual-stack network's IPv6 side: its gateway address on the host end as a /128
     * (without duplicate address detection: the switch owns it too), and its subnet routed via the
     * router's link-local address (fe80:: + the EUI-64 of the router's MAC, which the router answers
     * neighbor solicitations for), with the gateway as source.
     */
    private void addIpv6Route(NetworkRecord network) {
        runner.check(
                "cannot turn IPv6 on for the host link " + name,
                List.of("sysctl", "-q", "-w", "net.ipv6.conf." + name + ".disable_ipv6=0"));
        final String gateway = network.ipv6().gateway();
        ip(
                "cannot give the host the IPv6 gateway address of " + network.name(),
                "-6",
                "address",
                "replace",
                gateway + "/128",
                "dev",
                name,
                "nodad");
        try {
            ip(
                    "cannot route " + network.ipv6().subnet() + " to the switch",
                    "-6",
                    "route",
                    "replace",
                    network.ipv6().subnet(),
                    "via",
                    routerLinkLocal(),
                    "dev",
                    name,
                    "src",
                    gateway);
        } catch (RuntimeException e) {
            runner.run(List.of("ip", "-6", "address", "del", gateway + "/128", "dev", name));
            throw e;
        }
    }

    /** The router's link-local address on the host link: the host's next hop for every IPv6 subnet. */
    public String routerLinkLocal() {
        return Ipv6Address.format(Ipv6Address.LINK_LOCAL_HIGH, Ipv6Address.interfaceId(routerMac));
    }

    @Override
    public void networkRemoved(NetworkRecord network) {
        if (pending.remove(network.name()) != null) {
            return;
        }
        // Best effort: a route or address already gone is what we want anyway.
        if (network.hasIpv4()) {
            runner.run(List.of("ip", "route", "del", network.subnet(), "dev", name));
            runner.run(List.of("ip", "address", "del", network.gateway() + "/32", "dev", name));
        }
        if (network.ipv6() != null) {
            runner.run(List.of("ip", "-6", "route", "del", network.ipv6().subnet(), "dev", name));
            runner.run(List.of("ip", "-6", "address", "del", network.ipv6().gateway() + "/128", "dev", name));
        }
    }

    private void ip(String what, String... arguments) {
        final List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(arguments));
        runner.check(what, command);
    }

    /** Unplugs the router end; closing the TAP removes the device, its addresses and routes. */
    @Override
    public void close() {
        if (slot >= 0 && dataplane != null) {
            try {
                Dataplane.await(dataplane.unplug(slot));
            } catch (RuntimeException e) {
                // the dataplane is stopping anyway; closing it closes the port
            }
            slot = -1;
        }
    }
}
