package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.netns.ResolvedNamespace;
import io.jvswitch.switching.port.Port;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Chooses how an endpoint's device is made from how its container is named: Docker's plugin
 * endpoints ({@link ContainerRef.Kind#DOCKER_SANDBOX}) get a TAP Docker moves itself; the others
 * one jvs puts into the container.
 */
public final class WiringByTarget implements EndpointWiring {
    private final EndpointWiring containers;
    private final EndpointWiring dockerSandboxes;
    /** The ports the Docker wiring made, so each is released by the wiring that made it. */
    private final Set<Port> fromDocker =
            Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

    public WiringByTarget(EndpointWiring containers, EndpointWiring dockerSandboxes) {
        this.containers = containers;
        this.dockerSandboxes = dockerSandboxes;
    }

    private EndpointWiring of(ContainerRef target) {
        return target != null && target.kind() == ContainerRef.Kind.DOCKER_SANDBOX ? dockerSandboxes : containers;
    }

    @Override
    public ResolvedNamespace namespaceOf(ContainerRef container) {
        return of(container).namespaceOf(container);
    }

    @Override
    public String nextInterfaceName(ResolvedNamespace namespace, Set<String> reserved) {
        return containers.nextInterfaceName(namespace, reserved);
    }

    @Override
    public Port create(EndpointPlan plan) {
        return remember(plan, of(plan.target()).create(plan));
    }

    @Override
    public Port reopen(EndpointPlan plan) {
        return remember(plan, of(plan.target()).reopen(plan));
    }

    @Override
    public void ensureDefaultRoute(EndpointPlan plan) {
        of(plan.target()).ensureDefaultRoute(plan);
    }

    @Override
    public void remove(EndpointPlan plan) {
        of(plan.target()).remove(plan);
    }

    @Override
    public void release(Port port) {
        if (fromDocker.remove(port)) {
            dockerSandboxes.release(port);
        } else {
            containers.release(port);
        }
    }

    private Port remember(EndpointPlan plan, Port port) {
        if (of(plan.target()) == dockerSandboxes) {
            fromDocker.add(port);
        }
        return port;
    }
}
