package client

import (
	"context"

	"github.com/virtwire/virtwire/protocol"
)

// DomainLookupByName returns the domain called name
// (virDomainLookupByName, 23). An unknown name gives a *protocol.Error
// with code protocol.ErrNoDomain.
func (c *Conn) DomainLookupByName(ctx context.Context, name string) (protocol.NonnullDomain, error) {
	var ret protocol.DomainLookupByNameRet
	err := c.Call(ctx, protocol.ProcDomainLookupByName, &protocol.DomainLookupByNameArgs{Name: name}, &ret)
	return ret.Dom, err
}

// DomainLookupByUUID returns the domain with that UUID
// (virDomainLookupByUUID, 24).
func (c *Conn) DomainLookupByUUID(ctx context.Context, uuid protocol.UUID) (protocol.NonnullDomain, error) {
	var ret protocol.DomainLookupByUUIDRet
	err := c.Call(ctx, protocol.ProcDomainLookupByUUID, &protocol.DomainLookupByUUIDArgs{UUID: uuid}, &ret)
	return ret.Dom, err
}

// DomainLookupByID returns the active domain with that ID
// (virDomainLookupByID, 22).
func (c *Conn) DomainLookupByID(ctx context.Context, id int32) (protocol.NonnullDomain, error) {
	var ret protocol.DomainLookupByIDRet
	err := c.Call(ctx, protocol.ProcDomainLookupByID, &protocol.DomainLookupByIDArgs{Value: id}, &ret)
	return ret.Dom, err
}

// DomainGetState returns a domain's state and its reason
// (virDomainGetState, 212). The test driver accepts only flags 0.
func (c *Conn) DomainGetState(ctx context.Context, dom protocol.NonnullDomain, flags uint32) (protocol.DomainState, int32, error) {
	var ret protocol.DomainGetStateRet
	err := c.Call(ctx, protocol.ProcDomainGetState, &protocol.DomainGetStateArgs{Dom: dom, Flags: flags}, &ret)
	return ret.State, ret.Reason, err
}

// DomainGetInfo returns a domain's state, memory (KiB), vCPU count and CPU
// time (ns) (virDomainGetInfo, 16).
func (c *Conn) DomainGetInfo(ctx context.Context, dom protocol.NonnullDomain) (protocol.DomainGetInfoRet, error) {
	var ret protocol.DomainGetInfoRet
	err := c.Call(ctx, protocol.ProcDomainGetInfo, &protocol.DomainGetInfoArgs{Dom: dom}, &ret)
	return ret, err
}

// DomainGetAutostart reports whether a domain starts with the host
// (virDomainGetAutostart, 15).
func (c *Conn) DomainGetAutostart(ctx context.Context, dom protocol.NonnullDomain) (bool, error) {
	return c.boolCall(ctx, protocol.ProcDomainGetAutostart, &protocol.DomainGetAutostartArgs{Dom: dom})
}

// DomainSetAutostart sets whether a domain starts with the host
// (virDomainSetAutostart, 29; a write: refused on a read-only connection).
func (c *Conn) DomainSetAutostart(ctx context.Context, dom protocol.NonnullDomain, autostart bool) error {
	args := &protocol.DomainSetAutostartArgs{Dom: dom, Autostart: b2i(autostart)}
	return c.Call(ctx, protocol.ProcDomainSetAutostart, args, nil)
}

// DomainHasManagedSaveImage reports whether a domain has a managed save
// image (virDomainHasManagedSaveImage, 183).
func (c *Conn) DomainHasManagedSaveImage(ctx context.Context, dom protocol.NonnullDomain, flags uint32) (bool, error) {
	return c.boolCall(ctx, protocol.ProcDomainHasManagedSaveImage, &protocol.DomainHasManagedSaveImageArgs{Dom: dom, Flags: flags})
}

// DomainIsActive reports whether a domain is running, paused or otherwise
// active (virDomainIsActive, 150).
func (c *Conn) DomainIsActive(ctx context.Context, dom protocol.NonnullDomain) (bool, error) {
	return c.boolCall(ctx, protocol.ProcDomainIsActive, &protocol.DomainIsActiveArgs{Dom: dom})
}

// DomainIsPersistent reports whether a domain has a persistent
// configuration (virDomainIsPersistent, 151).
func (c *Conn) DomainIsPersistent(ctx context.Context, dom protocol.NonnullDomain) (bool, error) {
	return c.boolCall(ctx, protocol.ProcDomainIsPersistent, &protocol.DomainIsPersistentArgs{Dom: dom})
}

// DomainSuspend pauses a domain (virDomainSuspend, 34; a write).
func (c *Conn) DomainSuspend(ctx context.Context, dom protocol.NonnullDomain) error {
	return c.Call(ctx, protocol.ProcDomainSuspend, &protocol.DomainSuspendArgs{Dom: dom}, nil)
}

// DomainResume resumes a paused domain (virDomainResume, 28; a write).
func (c *Conn) DomainResume(ctx context.Context, dom protocol.NonnullDomain) error {
	return c.Call(ctx, protocol.ProcDomainResume, &protocol.DomainResumeArgs{Dom: dom}, nil)
}

// DomainGetMetadata returns a domain's title, description or metadata
// element (virDomainGetMetadata, 265). virsh list --title asks for
// protocol.MetadataTitle with a NULL uri; a domain without one answers
// VIR_ERR_NO_DOMAIN_METADATA.
func (c *Conn) DomainGetMetadata(ctx context.Context, dom protocol.NonnullDomain, typ protocol.MetadataType, uri protocol.OptionalString, flags uint32) (string, error) {
	var ret protocol.DomainGetMetadataRet
	args := &protocol.DomainGetMetadataArgs{Dom: dom, Type: typ, URI: uri, Flags: flags}
	err := c.Call(ctx, protocol.ProcDomainGetMetadata, args, &ret)
	return ret.Value, err
}

// DomainSnapshotNum returns the number of a domain's snapshots
// (virDomainSnapshotNum, 187).
func (c *Conn) DomainSnapshotNum(ctx context.Context, dom protocol.NonnullDomain, flags uint32) (int, error) {
	var ret protocol.DomainSnapshotNumRet
	err := c.Call(ctx, protocol.ProcDomainSnapshotNum, &protocol.DomainSnapshotNumArgs{Dom: dom, Flags: flags}, &ret)
	return int(ret.Value), err
}

// DomainListAllCheckpoints lists a domain's checkpoints
// (virDomainListAllCheckpoints, 413). With needResults false only the count
// comes back, as virsh's fallback asks for it.
func (c *Conn) DomainListAllCheckpoints(ctx context.Context, dom protocol.NonnullDomain, needResults bool, flags uint32) ([]protocol.NonnullDomainChild, int, error) {
	var ret protocol.DomainListAllCheckpointsRet
	args := &protocol.DomainListAllCheckpointsArgs{Dom: dom, NeedResults: b2i(needResults), Flags: flags}
	if err := c.Call(ctx, protocol.ProcDomainListAllCheckpoints, args, &ret); err != nil {
		return nil, 0, tooManyError(err, "children", "virDomainListAllCheckpoints")
	}
	return ret.Children, int(ret.Ret), nil
}

// boolCall makes a call whose ret is one int, read as a boolean.
func (c *Conn) boolCall(ctx context.Context, proc protocol.Procedure, args protocol.Message) (bool, error) {
	var ret protocol.Int32Value
	if err := c.Call(ctx, proc, args, &ret); err != nil {
		return false, err
	}
	return ret.Value != 0, nil
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
