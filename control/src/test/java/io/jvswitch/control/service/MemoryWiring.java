package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.netns.ResolvedNamespace;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.Port;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Endpoints as memory ports; containers as plain files in {@code dir} named {@code ns-NAME}, standing
 * for namespace files. For tests of the control logic over a real dataplane, without root.
 */
public final class MemoryWiring implements EndpointWiring {
    private final Path dir;
    private final boolean retainTransmitted;
    /** Every port created, in order. */
    public final List<MemoryPort> created = new CopyOnWriteArrayList<>();
    /** The plan of every port created, in order. */
    public final List<EndpointPlan> plans = new CopyOnWriteArrayList<>();
    /** Whether taking an interface back fails, as a TAP that cannot be opened again. */
    public volatile boolean failReopen;

    public MemoryWiring(Path dir, boolean retainTransmitted) {
        this.dir = dir;
        this.retainTransmitted = retainTransmitted;
    }

    @Override
    public ResolvedNamespace namespaceOf(ContainerRef container) {
        final Path file = dir.resolve("ns-" + container.value());
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no network namespace named '" + container.value() + "'");
        }
        return ResolvedNamespace.of(file, container.value());
    }

    @Override
    public String nextInterfaceName(ResolvedNamespace namespace, Set<String> reserved) {
        for (int n = 0; ; n++) {
            if (!reserved.contains("eth" + n)) {
                return "eth" + n;
            }
        }
    }

    @Override
    public Port create(EndpointPlan plan) {
        final MemoryPort port = new MemoryPort(plan.portName(), plan.mtu(), true, retainTransmitted);
        created.add(port);
        plans.add(plan);
        return port;
    }

    @Override
    public Port reopen(EndpointPlan plan) {
        if (failReopen) {
            throw new IllegalStateException("cannot take back " + plan.ifname() + " (as the test says)");
        }
        return create(plan);
    }

    @Override
    public void release(Port port) {}
}
