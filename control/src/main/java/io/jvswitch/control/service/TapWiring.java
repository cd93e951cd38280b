package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.netns.ContainerNamespace;
import io.jvswitch.control.netns.InterfaceConfigurator;
import io.jvswitch.control.netns.ResolvedNamespace;
import io.jvswitch.switching.port.Port;
import io.jvswitch.tap.TapDevice;
import io.jvswitch.tap.TapException;
import io.jvswitch.tap.TapPort;

import java.nio.file.Path;
import java.util.Set;

/**
 * Endpoints as persistent TAP devices created directly inside the container's namespace, under
 * their final name (eth0, ...). Persistent so a restarted daemon can take them back: the container
 * keeps its interface, address and routes while jvs is down.
 */
public final class TapWiring implements EndpointWiring {
    private static final Path OWN_NAMESPACE = Path.of("/proc/self/ns/net");

    private final ContainerNamespace namespaces;
    private final InterfaceConfigurator configurator;

    public TapWiring(ContainerNamespace namespaces, InterfaceConfigurator configurator) {
        this.namespaces = namespaces;
        this.configurator = configurator;
    }

    @Override
    public ResolvedNamespace namespaceOf(ContainerRef container) {
        return namespaces.resolve(container);
    }

    @Override
    public String nextInterfaceName(ResolvedNamespace namespace, Set<String> reserved) {
        return configurator.nextInterfaceName(namespace.file(), reserved);
    }

    @Override
    public Port create(EndpointPlan plan) {
        final Path namespace = plan.namespace().file();
        if (configurator.hasLink(namespace, plan.ifname())) {
            throw ControlException.conflict("the container already has an interface named " + plan.ifname()
                    + " (choose another with --ifname)");
        }
        // Created here under a temporary name, then moved: see InterfaceConfigurator.moveInto.
        final String temporaryName = temporaryNameOf(plan);
        final TapDevice device;
        try {
            device = TapDevice.open(temporaryName, true);
        } catch (TapException e) {
            throw new IllegalStateException("cannot create a TAP device: " + e.getMessage(), e);
        }
        return persistentPort(device, plan, () -> {
            StepPause.at("attach:tap-unmoved");
            configurator.moveInto(temporaryName, plan.namespace(), plan.ifname());
            configurator.configure(
                    namespace,
                    plan.ifname(),
                    plan.mac(),
                    plan.mtu(),
                    plan.addressWithPrefix(),
                    plan.gateway(),
                    plan.defaultRoute(),
                    plan.ipv6WithPrefix(),
                    plan.gateway6());
        });
    }

    /**
     * Re-opening by name works only from inside the container's namespace, and that handle keeps
     * the namespace alive: the service's namespace watch notices when the container goes away.
     */
    @Override
    public Port reopen(EndpointPlan plan) {
        final Path namespace = plan.namespace().file();
        final boolean survived = configurator.hasLink(namespace, plan.ifname());
        return persistentPort(open(plan), plan, () -> {
            if (!survived) {
                configurator.configure(
                        namespace,
                        plan.ifname(),
                        plan.mac(),
                        plan.mtu(),
                        plan.addressWithPrefix(),
                        plan.gateway(),
                        plan.defaultRoute(),
                        plan.ipv6WithPrefix(),
                        plan.gateway6());
            }
        });
    }

    /** Makes the device persistent and sets it up; on any failure removes it, so nothing is left behind. */
    private static Port persistentPort(TapDevice device, EndpointPlan plan, Runnable setUp) {
        try {
            device.setPersistent(true);
            setUp.run();
        } catch (TapException | RuntimeException e) {
            destroy(device);
            throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
        }
        return new TapPort(plan.portName(), device, plan.mtu());
    }

    /**
     * The interface in the container if it is there, and the TAP under its temporary name in the
     * daemon's namespace if a daemon was killed before moving it. A device of that name that is
     * not a TAP is not one jvs made: it is left alone.
     */
    @Override
    public void remove(EndpointPlan plan) {
        final String temporaryName = temporaryNameOf(plan);
        if (configurator.hasLink(OWN_NAMESPACE, temporaryName)) {
            removeTap(OWN_NAMESPACE, temporaryName);
        }
        if (plan.namespace().stillExists()
                && configurator.hasLink(plan.namespace().file(), plan.ifname())) {
            removeTap(plan.namespace().file(), plan.ifname());
        }
    }

    @Override
    public void ensureDefaultRoute(EndpointPlan plan) {
        configurator.addDefaultRoutesIfNone(
                plan.namespace().file(),
                plan.ifname(),
                plan.gateway(),
                plan.ipv6WithPrefix() == null ? null : plan.gateway6());
    }

    @Override
    public void release(Port port) {
        if (port instanceof TapPort tap) {
            try {
                tap.device().setPersistent(false);
            } catch (TapException e) {
                // The device is already gone (namespace deleted): nothing left to release.
            }
        }
    }

    private static TapDevice open(EndpointPlan plan) {
        try {
            return TapDevice.openIn(plan.namespace().file(), plan.ifname(), true);
        } catch (TapException e) {
            throw new IllegalStateException(
                    "cannot create " + plan.ifname() + " in " + plan.namespace() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The name a new TAP has in the daemon's namespace before it is moved into the container: from
     * the endpoint's MAC, so a restarted daemon finds one left behind.
     */
    static String temporaryNameOf(EndpointPlan plan) {
        return "jvs" + plan.mac().replace(":", "").substring(4);
    }

    private static void removeTap(Path namespace, String name) {
        final TapDevice device;
        try {
            device = TapDevice.openIn(namespace, name, true);
        } catch (TapException e) {
            return; // not a TAP, or gone meanwhile
        }
        destroy(device);
    }

    private static void destroy(TapDevice device) {
        try {
            device.setPersistent(false);
        } catch (TapException ignored) {
            // closing below removes it anyway when it was never made persistent
        }
        device.close();
    }
}
