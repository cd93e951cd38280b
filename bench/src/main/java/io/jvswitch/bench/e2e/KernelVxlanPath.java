package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.control.lab.OverlayLab;

/**
 * The kernel's VXLAN, the reference of {@link JvsVxlanPath}: two host namespaces joined by a veth
 * underlay, each a Linux bridge with a vxlan device (static remote) and a veth to its container.
 */
final class KernelVxlanPath implements DataplanePath {
    static final String KEY = "kernel-vxlan";
    private static final int VNI = 4204;

    private Endpoints endpoints;
    private String hostA;
    private String hostB;

    @Override
    public String key() {
        return KEY;
    }

    @Override
    public String title() {
        return "kernel vxlan (2 hosts)";
    }

    @Override
    public String referenceKey() {
        return KEY;
    }

    @Override
    public void setUp(NetnsLab lab, BenchWorkspace workspace) {
        hostA = lab.add("kvx-a");
        hostB = lab.add("kvx-b");
        final String client = lab.add("kvx-c");
        final String server = lab.add("kvx-s");
        final OverlayLab overlay = new OverlayLab(lab);
        overlay.underlay(hostA, "u1", "10.214.0.1/24", hostB, "u2", "10.214.0.2/24");
        overlay.kernelVxlanHost(hostA, "u1", VNI, "10.214.0.1", "10.214.0.2", client, "10.204.0.1/24");
        overlay.kernelVxlanHost(hostB, "u2", VNI, "10.214.0.2", "10.214.0.1", server, "10.204.0.2/24");
        endpoints = new Endpoints(client, server, "10.204.0.2");
    }

    @Override
    public Endpoints endpoints() {
        return endpoints;
    }

    @Override
    public boolean hasPairs() {
        return true;
    }

    /** One more container on each host's bridge, with the vxlan device's MTU as the first ones have. */
    @Override
    public Endpoints addPair(NetnsLab lab, int index) {
        final String client = lab.add("kvx-c" + index);
        final String server = lab.add("kvx-s" + index);
        plug(lab, hostA, client, "kc" + index, "10.204.0." + (10 + index) + "/24");
        plug(lab, hostB, server, "ks" + index, "10.204.0." + (20 + index) + "/24");
        return new Endpoints(client, server, "10.204.0." + (20 + index));
    }

    private static void plug(NetnsLab lab, String host, String container, String hostEnd, String address) {
        lab.check(host, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", container);
        lab.check(host, "ip", "link", "set", hostEnd, "master", "br0", "mtu", "1450", "up");
        lab.check(container, "ip", "link", "set", "eth0", "mtu", "1450");
        lab.check(container, "ip", "addr", "add", address, "dev", "eth0");
        lab.check(container, "ip", "link", "set", "eth0", "up");
    }
}
