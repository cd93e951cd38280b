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

    /**
     * Gives the interface its MAC, MTU and address, brings it and loopback up, and routes by default
     * via the gateway unless the container already has a default route or the network is internal.
     */
    public void configure(
            Path namespace,
            String ifname,
            String mac,
            int mtu,
            String addressWithPrefix,
            String gateway,
            boolean defaultRoute) {
        runner.check(
                "cannot set MAC/MTU of " + ifname,
                ip(namespace, "link", "set", "dev", ifname, "address", mac, "mtu", Integer.toString(mtu)));
        runner.check(
                "cannot add address " + addressWithPrefix + " to " + ifname,
                ip(namespace, "addr", "add", addressWithPrefix, "dev", ifname));
        runner.check("cannot bring " + ifname + " up", ip(namespace, "link", "set", "dev", ifname, "up"));
        runner.check("cannot bring lo up", ip(namespace, "link", "set", "dev", "lo", "up"));
        if (defaultRoute) {
            addDefaultRouteIfNone(namespace, ifname, gateway);
        }
    }

    /** Routes by default via {@code gateway} on {@code ifname}, unless the namespace has a default route. */
    public void addDefaultRouteIfNone(Path namespace, String ifname, String gateway) {
        if (!hasDefaultRoute(namespace)) {
            runner.check(
                    "cannot add default route via " + gateway,
                    ip(namespace, "route", "add", "default", "via", gateway, "dev", ifname));
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
}
