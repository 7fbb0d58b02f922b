package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/xdr"
)

// ListAllDomains returns the domains that match flags
// (virConnectListAllDomains, REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS 273), in
// the daemon's order, which is arbitrary (FACTS S4). The 16 filter bits
// combine as FACTS §12 describes; a bit above them is refused by the
// daemon's driver ("unsupported flags (0x…) in function …").
//
// A reply with more than protocol.DomainListMax domains is refused before
// anything is allocated for it, with the error libvirt's client raises:
// VIR_ERR_RPC "too many remote domains: %d > %d,in parameter 'domains' for
// 'virConnectListAllDomains'". A reply whose count (ret) differs from the
// number of domains gives a *ProtocolError; libvirt's client trusts ret.
func (c *Conn) ListAllDomains(ctx context.Context, flags protocol.ListDomainsFlags) ([]protocol.NonnullDomain, error) {
	var ret protocol.ConnectListAllDomainsRet
	args := &protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: flags}
	if err := c.Call(ctx, protocol.ProcConnectListAllDomains, args, &ret); err != nil {
		return nil, tooManyError(err, "domains", "virConnectListAllDomains")
	}
	if uint64(ret.Ret) != uint64(len(ret.Domains)) {
		return nil, &ProtocolError{Reason: fmt.Sprintf("CONNECT_LIST_ALL_DOMAINS reply holds %d domains but ret is %d", len(ret.Domains), int32(ret.Ret))}
	}
	return ret.Domains, nil
}

// tooManyError turns a decoder's refusal of an array count above its limit
// into the error libvirt's generated client code raises for it.
func tooManyError(err error, field, api string) error {
	var xe *xdr.Error
	if errors.As(err, &xe) && xe.Field == field && errors.Is(xe, xdr.ErrTooLong) {
		// C prints the unsigned count with %d.
		return protocol.Errorf(protocol.FromRemote, protocol.ErrRPC,
			"too many remote %s: %d > %d,in parameter '%s' for '%s'", field, int32(uint32(xe.Len)), xe.Max, field, api)
	}
	return err
}

// ConnectNumOfDomains returns the number of active domains
// (virConnectNumOfDomains, 51).
func (c *Conn) ConnectNumOfDomains(ctx context.Context) (int, error) {
	var ret protocol.ConnectNumOfDomainsRet
	if err := c.Call(ctx, protocol.ProcConnectNumOfDomains, nil, &ret); err != nil {
		return 0, err
	}
	return int(ret.Value), nil
}

// ConnectListDomains returns the IDs of at most maxIDs active domains
// (virConnectListDomains, 37). As libvirt's client, it refuses a maxIDs
// above protocol.DomainListMax before sending, and a reply with more IDs
// than asked for, with VIR_ERR_RPC "Too many domains '%d' for limit '%d'".
func (c *Conn) ConnectListDomains(ctx context.Context, maxIDs int) ([]int32, error) {
	if maxIDs > protocol.DomainListMax {
		return nil, tooManyDomains(maxIDs, protocol.DomainListMax)
	}
	var ret protocol.ConnectListDomainsRet
	if err := c.Call(ctx, protocol.ProcConnectListDomains, &protocol.ConnectListDomainsArgs{Value: int32(maxIDs)}, &ret); err != nil {
		return nil, err
	}
	if len(ret.IDs) > maxIDs {
		return nil, tooManyDomains(len(ret.IDs), maxIDs)
	}
	return ret.IDs, nil
}

// ConnectNumOfDefinedDomains returns the number of inactive persistent
// domains (virConnectNumOfDefinedDomains, 25).
func (c *Conn) ConnectNumOfDefinedDomains(ctx context.Context) (int, error) {
	var ret protocol.ConnectNumOfDefinedDomainsRet
	if err := c.Call(ctx, protocol.ProcConnectNumOfDefinedDomains, nil, &ret); err != nil {
		return 0, err
	}
	return int(ret.Value), nil
}

// ConnectListDefinedDomains returns the names of at most maxNames inactive
// persistent domains (virConnectListDefinedDomains, 21), with the same
// limit checks as ConnectListDomains.
func (c *Conn) ConnectListDefinedDomains(ctx context.Context, maxNames int) ([]string, error) {
	if maxNames > protocol.DomainListMax {
		return nil, tooManyDomains(maxNames, protocol.DomainListMax)
	}
	var ret protocol.ConnectListDefinedDomainsRet
	if err := c.Call(ctx, protocol.ProcConnectListDefinedDomains, &protocol.ConnectListDefinedDomainsArgs{Value: int32(maxNames)}, &ret); err != nil {
		return nil, err
	}
	if len(ret.Names) > maxNames {
		return nil, tooManyDomains(len(ret.Names), maxNames)
	}
	return ret.Names, nil
}

func tooManyDomains(n, limit int) error {
	return protocol.Errorf(protocol.FromRemote, protocol.ErrRPC, "Too many domains '%d' for limit '%d'", n, limit)
}
