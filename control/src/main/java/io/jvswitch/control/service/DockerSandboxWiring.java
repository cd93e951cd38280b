package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.control.netns.ContainerNamespace;
import io.jvswitch.control.netns.ResolvedNamespace;
import io.jvswitch.switching.port.Port;
import io.jvswitch.tap.TapDevice;
import io.jvswitch.tap.TapException;
import io.jvswitch.tap.TapPort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Endpoints Docker joins through the jvs plugin: the TAP is created in the daemon's namespace under
 * the name {@code Join} hands Docker ({@code SrcName}), and Docker moves it into the container and
 * renames it. After a daemon restart it is found again in the sandbox by its MAC address, since
 * only Docker knows the name it gave it there.
 */
public final class DockerSandboxWiring implements EndpointWiring {
    private static final Path OWN_NAMESPACE = Path.of("/proc/self/ns/net");
    private static final Path MOUNTS = Path.of("/proc/self/mountinfo");

    private final ContainerNamespace namespaces;
    private final CommandRunner runner;

    public DockerSandboxWiring(ContainerNamespace namespaces, CommandRunner runner) {
        this.namespaces = namespaces;
        this.runner = runner;
    }

    /**
     * The sandbox's namespace once Docker has mounted one on the key; before that (a container
     * being created joins before its namespace exists) the daemon's own, where the TAP then is.
     */
    @Override
    public ResolvedNamespace namespaceOf(ContainerRef container) {
        if (isNamespaceMount(container.value())) {
            return namespaces.resolve(container);
        }
        return ResolvedNamespace.of(OWN_NAMESPACE, "1");
    }

    @Override
    public String nextInterfaceName(ResolvedNamespace namespace, Set<String> reserved) {
        throw new IllegalStateException("a Docker endpoint's device name is chosen by the plugin");
    }

    @Override
    public Port create(EndpointPlan plan) {
        final TapDevice device;
        try {
            device = TapDevice.open(plan.ifname(), true);
        } catch (TapException e) {
            throw new IllegalStateException("cannot create TAP " + plan.ifname() + ": " + e.getMessage(), e);
        }
        try {
            // Persistent, so a restarted daemon can take it back from the container.
            device.setPersistent(true);
            runner.check(
                    "cannot set MAC/MTU of " + plan.ifname(),
                    List.of(
                            "ip",
                            "link",
                            "set",
                            "dev",
                            plan.ifname(),
                            "address",
                            plan.mac(),
                            "mtu",
                            Integer.toString(plan.mtu())));
        } catch (TapException | RuntimeException e) {
            destroy(device);
            throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
        }
        return new TapPort(plan.portName(), device, plan.mtu());
    }

    /**
     * Takes the device back from the sandbox, where it has Docker's name. A sandbox with no
     * namespace any more means Docker deleted it (the container went while jvs was down): the
     * endpoint is gone, and a device Docker moved back here is the reconciliation's to remove.
     */
    @Override
    public Port reopen(EndpointPlan plan) {
        final Path namespace = plan.namespace().file();
        if (namespace.equals(OWN_NAMESPACE)) {
            throw new IllegalStateException(
                    "its Docker sandbox " + plan.target().value() + " is gone");
        }
        final String name = linkWithMac(namespace, plan.mac());
        if (name == null) {
            throw new IllegalStateException("no interface with MAC " + plan.mac() + " in "
                    + plan.namespace().file());
        }
        final TapDevice device;
        try {
            device = TapDevice.openIn(namespace, name, true);
        } catch (TapException e) {
            throw new IllegalStateException("cannot take back " + name + " in " + namespace + ": " + e.getMessage(), e);
        }
        return new TapPort(plan.portName(), device, plan.mtu());
    }

    @Override
    public void release(Port port) {
        if (port instanceof TapPort tap) {
            try {
                tap.device().setPersistent(false);
            } catch (TapException e) {
                // already gone with its namespace: nothing left to release
            }
        }
    }

    /** The name of the link with this MAC in the namespace, or null. */
    private String linkWithMac(Path namespace, String mac) {
        final CommandRunner.Result result =
                runner.run(List.of("nsenter", "--net=" + namespace, "ip", "-o", "link", "show"));
        if (!result.ok()) {
            return null;
        }
        final String wanted = "link/ether " + mac.toLowerCase(Locale.ROOT);
        for (String line : result.stdout().split("\n")) {
            final String[] parts = line.split(":", 3);
            if (parts.length == 3 && parts[2].toLowerCase(Locale.ROOT).contains(wanted)) {
                final String name = parts[1].strip();
                final int at = name.indexOf('@');
                return at >= 0 ? name.substring(0, at) : name;
            }
        }
        return null;
    }

    /** Whether a namespace is mounted on the path (Docker mounts the container's on its sandbox key). */
    static boolean isNamespaceMount(String path) {
        try {
            for (String line : Files.readAllLines(MOUNTS)) {
                // "36 35 0:4 net:[4026532] /run/docker/netns/abc rw shared:1 - nsfs nsfs rw"
                final String[] fields = line.split(" ");
                final int dash = line.indexOf(" - ");
                if (fields.length > 4
                        && dash > 0
                        && fields[4].equals(path)
                        && line.substring(dash + 3).startsWith("nsfs ")) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static void destroy(TapDevice device) {
        try {
            device.setPersistent(false);
        } catch (TapException ignored) {
            // closing removes it anyway when it was never made persistent
        }
        device.close();
    }
}
