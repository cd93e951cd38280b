package io.jvswitch.control.netns;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Configures a container's interface from outside the container: runs {@code ip} inside the
 * container's network namespace through {@code nsenter --net=FILE}, which works the same for
 * {@code ip netns} names and for process ids.
 */
public final class InterfaceConfigurator {
    private final CommandRunner runner;

    public InterfaceConfigurator(CommandRunner runner) {
        this.runner = runner;
    }

    /** Names of the links in the namespace. */
    public Set<String> linkNames(Path namespace) {
        final String out = runner.check("cannot list interfaces in " + namespace, ip(namespace, "-o", "link", "show"));
        final Set<String> names = new HashSet<>();
        for (String line : out.split("\n")) {
            // "2: eth0@if5: <...>" or "3: eth1: <...>"
            final String[] parts = line.split(":", 3);
            if (parts.length >= 2) {
                String name = parts[1].strip();
                final int at = name.indexOf('@');
                names.add(at >= 0 ? name.substring(0, at) : name);
            }
        }
        return names;
    }

    /** The first ethN not present in the namespace, as Docker names a container's interfaces. */
    public String nextInterfaceName(Path namespace, Set<String> alsoTaken) {
        final Set<String> taken = linkNames(namespace);
        for (int n = 0; ; n++) {
            final String name = "eth" + n;
            if (!taken.contains(name) && !alsoTaken.contains(name)) {
                return name;
            }
        }
    }

    public boolean hasDefaultRoute(Path namespace) {
        return !runner.check("cannot read routes in " + namespace, ip(namespace, "-4", "route", "show", "default"))
                .isBlank();
    }

    public boolean hasIpv6DefaultRoute(Path namespace) {
        return !runner.check("cannot read routes in " + namespace, ip(namespace, "-6", "route", "show", "default"))
                .isBlank();
    }

    /** An IPv4-only interface: see the full form. */
    public void configure(
            Path namespace,
            String ifname,
            String mac,
            int mtu,
            String addressWithPrefix,
            String gateway,
            boolean defaultRoute) {
        configure(namespace, ifname, mac, mtu, addressWithPrefix, gateway, defaultRoute, null, null);
    }

    /**
     * Gives the interface its MAC, MTU and address, brings it and loopback up, and routes by default
     * via the gateway unless the container already has a default route or the network is internal.
     * On a dual-stack network ({@code ipv6WithPrefix} not null) the same for IPv6, as Docker does:
     * router advertisements are not accepted on the interface (the gateway is configured, not
     * advertised, and a container's RA must not move anyone's routes), and the address skips
     * duplicate address detection (IPAM made it unique), so it is usable at once. On an IPv6-only
     * network {@code addressWithPrefix} and {@code gateway} are null: no IPv4 address, no IPv4 route.
     */
    public void configure(
            Path namespace,
            String ifname,
            String mac,
            int mtu,
            String addressWithPrefix,
            String gateway,
            boolean defaultRoute,
            String ipv6WithPrefix,
            String gateway6) {
        runner.check(
                "cannot set MAC/MTU of " + ifname,
                ip(namespace, "link", "set", "dev", ifname, "address", mac, "mtu", Integer.toString(mtu)));
        if (addressWithPrefix != null) {
            runner.check(
                    "cannot add address " + addressWithPrefix + " to " + ifname,
                    ip(namespace, "addr", "add", addressWithPrefix, "dev", ifname));
        }
        if (ipv6WithPrefix != null) {
            final String key = "net.ipv6.conf." + ifname.replace('.', '/');
            runner.check(
                    "cannot turn off router advertisements on " + ifname,
                    nsenter(namespace, "sysctl", "-q", "-w", key + ".accept_ra=0", key + ".disable_ipv6=0"));
            runner.check(
                    "cannot add address " + ipv6WithPrefix + " to " + ifname,
                    ip(namespace, "-6", "addr", "add", ipv6WithPrefix, "dev", ifname, "nodad"));
        }
        runner.check("cannot bring " + ifname + " up", ip(namespace, "link", "set", "dev", ifname, "up"));
        runner.check("cannot bring lo up", ip(namespace, "link", "set", "dev", "lo", "up"));
        if (defaultRoute) {
            addDefaultRoutesIfNone(namespace, ifname, gateway, ipv6WithPrefix == null ? null : gateway6);
        }
    }

    /**
     * Routes each family by default via its gateway on {@code ifname} (null: that family is not on
     * the network), unless the namespace has a default route of that family.
     */
    public void addDefaultRoutesIfNone(Path namespace, String ifname, String gateway, String gateway6) {
        if (gateway != null && !hasDefaultRoute(namespace)) {
            runner.check(
                    "cannot add default route via " + gateway,
                    ip(namespace, "route", "add", "default", "via", gateway, "dev", ifname));
        }
        if (gateway6 != null && !hasIpv6DefaultRoute(namespace)) {
            runner.check(
                    "cannot add IPv6 default route via " + gateway6,
                    ip(namespace, "-6", "route", "add", "default", "via", gateway6, "dev", ifname));
        }
    }

    /**
     * Moves a device from the daemon's namespace into the container's and renames it there. A TAP
     * created in the daemon's namespace does not keep the container's namespace alive, so deleting
     * the container destroys the device and the dataplane notices at once.
     */
    public void moveInto(String device, ResolvedNamespace target, String newName) {
        runner.check(
                "cannot move " + device + " into " + target.file(),
                List.of("ip", "link", "set", "dev", device, "netns", target.linkTarget()));
        runner.check(
                "cannot rename " + device + " to " + newName,
                ip(target.file(), "link", "set", "dev", device, "name", newName));
    }

    /** Whether the namespace has a link by that name; false if the namespace itself is gone. */
    public boolean hasLink(Path namespace, String ifname) {
        return runner.run(ip(namespace, "link", "show", "dev", ifname)).ok();
    }

    private static List<String> ip(Path namespace, String... args) {
        final List<String> command = new ArrayList<>(List.of("nsenter", "--net=" + namespace, "ip"));
        command.addAll(List.of(args));
        return command;
    }

    private static List<String> nsenter(Path namespace, String... args) {
        final List<String> command = new ArrayList<>(List.of("nsenter", "--net=" + namespace));
        command.addAll(List.of(args));
        return command;
    }
}
