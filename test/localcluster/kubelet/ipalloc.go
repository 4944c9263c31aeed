package kubelet

import (
	"fmt"
	"net/netip"
	"sync"
)

// IPAllocator hands out pod addresses from a loopback prefix. It goes round
// the prefix instead of reusing the lowest free address, so that an address
// just released (and perhaps still listed in an EndpointSlice) is not given
// to the next pod at once.
type IPAllocator struct {
	mu       sync.Mutex
	prefix   netip.Prefix
	reserved map[netip.Addr]bool
	used     map[netip.Addr]string
	next     netip.Addr
}

// NewIPAllocator allocates from prefix, which must lie in 127.0.0.0/8 but
// outside 127.0.0.0/16 (whose reported addresses, 10.0.x.y, would collide
// with the cluster's Service range), never handing out its first and last
// addresses nor any of reserved.
func NewIPAllocator(prefix netip.Prefix, reserved ...netip.Addr) (*IPAllocator, error) {
	prefix = prefix.Masked()
	if !netip.MustParsePrefix("127.0.0.0/8").Contains(prefix.Addr()) || prefix.Bits() < 16 || prefix.Bits() > 30 ||
		netip.MustParsePrefix("127.0.0.0/16").Overlaps(prefix) {
		return nil, fmt.Errorf("pod CIDR %s: want a prefix of /16 to /30 inside 127.0.0.0/8 and outside 127.0.0.0/16", prefix)
	}
	a := &IPAllocator{prefix: prefix, reserved: map[netip.Addr]bool{}, used: map[netip.Addr]string{}}
	for _, r := range reserved {
		a.reserved[r] = true
	}
	a.next = prefix.Addr().Next()
	return a, nil
}

// Allocate returns a free address for owner. usable, when not nil, may veto
// an address (e.g. because another program listens on the pod's ports
// there); vetoed addresses are skipped.
func (a *IPAllocator) Allocate(owner string, usable func(netip.Addr) bool) (netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	size := 1 << (32 - a.prefix.Bits())
	addr := a.next
	for range size {
		cand := addr
		addr = addr.Next()
		if !a.prefix.Contains(addr) {
			addr = a.prefix.Addr()
		}
		if !a.assignable(cand) || (usable != nil && !usable(cand)) {
			continue
		}
		a.used[cand] = owner
		a.next = addr
		return cand, nil
	}
	return netip.Addr{}, fmt.Errorf("no free pod address in %s (%d in use)", a.prefix, len(a.used))
}

func (a *IPAllocator) assignable(addr netip.Addr) bool {
	if addr == a.prefix.Addr() || !a.prefix.Contains(addr.Next()) || a.reserved[addr] {
		return false // network address, last address, reserved
	}
	_, busy := a.used[addr]
	return !busy
}

// Release returns addr to the pool.
func (a *IPAllocator) Release(addr netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.used, addr)
}

// The API server refuses loopback addresses in EndpointSlices, so a pod
// listening on 127.B.C.D reports status.podIP 10.B.C.D, an address of the
// same shape in a private range; ReportedIP and LoopbackIP translate.

// ReportedIP returns the status.podIP of a pod listening on the loopback
// address a: 127.B.C.D becomes 10.B.C.D.
func ReportedIP(a netip.Addr) netip.Addr {
	b := a.As4()
	b[0] = 10
	return netip.AddrFrom4(b)
}

// LoopbackIP is the inverse of ReportedIP: the address a pod reported as
// 10.B.C.D listens on. ok is false for any other address.
func LoopbackIP(reported netip.Addr) (a netip.Addr, ok bool) {
	if !reported.Is4() || reported.As4()[0] != 10 {
		return netip.Addr{}, false
	}
	b := reported.As4()
	b[0] = 127
	return netip.AddrFrom4(b), true
}
