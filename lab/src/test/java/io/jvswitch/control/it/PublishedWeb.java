package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Stream;

/**
 * The container {@code web} of a published-port IT, attached to one network with its ports, and the
 * host's routing of the family under test as it stood before the daemon started and before web was
 * first attached: detach, stop and a start after kill -9 must leave the host so again, whatever
 * the family.
 */
final class PublishedWeb {
    /** The container's namespace. */
    final String netns;

    final HostRouting routing;
    private final DaemonFixture f;
    private final String network;
    /** What {@code jvs attach} takes after the name: its {@code -p} mappings, an address. */
    private final List<String> options;

    private final HostRouting.Snapshot beforeDaemon;
    private HostRouting.Snapshot beforeAttach;

    /** Makes the container and notes the host's routing; before the daemon starts. */
    PublishedWeb(DaemonFixture f, HostRouting routing, String network, String... options) {
        this.f = f;
        this.routing = routing;
        this.network = network;
        this.options = List.of(options);
        netns = f.container("web");
        beforeDaemon = routing.now();
    }

    /** Notes the host's routing once the network is made and before web is attached. */
    void noteTheRoutingBeforeAttach() {
        routing.settled();
        beforeAttach = routing.now();
    }

    void attach() {
        f.ok(Stream.concat(
                        Stream.of("attach", "--netns", netns, "--network", network, "--name", "web"), options.stream())
                .toArray(String[]::new));
    }

    void detach() {
        f.ok("detach", "web", "--network", network);
    }

    /** The host's rules and routes are as they were before web's first attach, once {@code what} is done. */
    void assertTheRoutingAsBeforeAttach(String what) {
        routing.assertAsBefore(beforeAttach, what);
    }

    /** Detach removes every rule and route web's ports added; web is attached again afterwards. */
    void assertDetachLeavesTheRoutingAsItWas() {
        detach();
        routing.settled();
        assertTheRoutingAsBeforeAttach("detach");
        attach();
    }

    /**
     * A clean stop removes every rule and route the daemon added; the daemon is started again, and
     * restores web with its ports.
     */
    void assertStopLeavesTheRoutingAsItWas() throws Exception {
        f.daemon.close();
        routing.assertAsBefore(beforeDaemon, "stop");
        f.startDaemon();
    }

    /** The last daemon with published ports to leave puts the host's local-table rule back. */
    void assertLastDetachPutsTheRulesBack() {
        detach();
        assertEquals(beforeAttach.rules(), routing.rules(), "the last daemon to leave put the local rule back");
    }
}
