package ratelimit

import "net/netip"

// IPSubject is what a per-IP limit counts an address under. An IPv6 client is keyed by its
// /64: that is the usual allocation to one customer (RFC 6177, RIPE-690), so anyone holding
// one could otherwise rotate through 2^64 addresses and escape every per-IP limit. An IPv4
// address is keyed by itself, and an IPv4-mapped IPv6 address (::ffff:192.0.2.1) as the IPv4
// address it is. Anything that is not an address is kept as it is.
func IPSubject(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip, 64).Masked().String()
}
