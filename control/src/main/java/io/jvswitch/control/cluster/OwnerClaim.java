package io.jvswitch.control.cluster;

/**
 * {@code blocks/<network>/<cidr>} and {@code addresses/<network>/<ip>}, durable: the host that owns
 * an address block, or an address and the endpoint it was given to ({@code endpoint} null for a
 * block). Never under a lease: a partitioned but live host keeps its addresses.
 */
public record OwnerClaim(String host, String endpoint) {}
