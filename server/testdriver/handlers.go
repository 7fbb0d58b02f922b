package testdriver

import (
	"context"
	"slices"
	"time"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
)

// Version numbers the test driver reports.
const (
	hypervisorVersion = 2       // testConnectGetVersion
	libVersion        = 9000000 // libvirt 9.0.0
	maxVCPUs          = 32      // testConnectGetMaxVcpus
)

// procOpts says how the common checks apply to a procedure.
type procOpts struct {
	// preOpen procedures run before CONNECT_OPEN (st is then nil).
	preOpen bool
	// write procedures are refused on a read-only connection, after the
	// open check, as virCheckReadOnlyGoto does in the public API.
	write bool
}

// call is what a procedure's implementation gets.
type call struct {
	*server.Call
	ss *session
	st *nodeState // the open node; nil for preOpen procedures before open
}

// afterReply sends events once the reply has been written, the order
// libvirtd's clients see (FACTS §6(e)).
func (c *call) afterReply(evs []lifecycleEvent) {
	if len(evs) > 0 {
		st := c.st
		c.AfterReply(func() { st.notify(evs) })
	}
}

// handle registers fn for proc: the payload is decoded (a failure is
// libvirt's "Unable to decode message payload"), then the open and
// read-only checks run, then fn. A nil *protocol.Error means success.
func handle[A any, PA interface {
	*A
	protocol.Message
}](d *Driver, reg func(protocol.Procedure, server.Handler), proc protocol.Procedure, o procOpts, fn func(c *call, a PA) (protocol.Message, *protocol.Error)) {
	api := ""
	if info, ok := protocol.LookupProc(proc); ok {
		api = info.API
	}
	reg(proc, func(_ context.Context, sc *server.Call) (protocol.Message, error) {
		args := PA(new(A))
		if err := sc.Decode(args); err != nil {
			return nil, err
		}
		c := &call{Call: sc, ss: d.session(sc.Conn)}
		if st, err := c.ss.state(); err == nil {
			c.st = st
		} else if !o.preOpen {
			return nil, err
		}
		if o.write && sc.Conn.ReadOnly() {
			return nil, errReadOnly(api)
		}
		ret, err := fn(c, args)
		if err != nil {
			return nil, err
		}
		return ret, nil
	})
}

type void = protocol.Void

// Procedures returns the REMOTE_PROGRAM procedures the driver implements,
// in number order. Any other procedure gets libvirt's "unknown procedure"
// from the server, as from a libvirtd that lacks it, so clients fall back
// as they would with an older daemon.
func (d *Driver) Procedures() []protocol.Procedure {
	h := d.Handlers()
	procs := make([]protocol.Procedure, 0, len(h))
	for p := range h {
		procs = append(procs, p)
	}
	slices.Sort(procs)
	return procs
}

// Prompt is a server.Options.Inline for a server that serves only this
// driver's handlers: they answer from memory, never waiting on the client
// or on anything slow, so a call may run on its connection's reader
// goroutine. It reports true for every call but CONNECT_OPEN, which copies
// a whole node and needs a deep stack once per connection: on a worker, the
// reader goroutine of an idle connection keeps a small stack.
func Prompt(h *protocol.Header) bool { return h.Procedure != protocol.ProcConnectOpen }

// Register installs the driver's handlers for REMOTE_PROGRAM on s,
// replacing any registered before for the same procedures; install
// overrides after it. It does not change s's options.
func (d *Driver) Register(s *server.Server) {
	for p, h := range d.Handlers() {
		s.Handle(protocol.ProgramRemote, protocol.ProtocolVersion, p, h)
	}
}

func i32(v int32) protocol.Message { return &protocol.Int32Value{Value: v} }

func b32(v bool) protocol.Message {
	if v {
		return i32(1)
	}
	return i32(0)
}

// Handlers returns the driver's handler of each procedure it implements,
// for a caller that wraps them (to inject faults, say) before registering
// them with server.Server.Handle under REMOTE_PROGRAM version 1.
func (d *Driver) Handlers() map[protocol.Procedure]server.Handler {
	m := make(map[protocol.Procedure]server.Handler)
	d.install(func(p protocol.Procedure, h server.Handler) { m[p] = h })
	return m
}

func (d *Driver) install(reg func(protocol.Procedure, server.Handler)) {
	pre := procOpts{preOpen: true}
	rd := procOpts{}
	wr := procOpts{write: true}

	// Connection.
	handle(d, reg, protocol.ProcConnectOpen, pre, func(c *call, a *openArgs) (protocol.Message, *protocol.Error) {
		return nil, c.ss.open(&a.ConnectOpenArgs)
	})
	handle(d, reg, protocol.ProcConnectClose, pre, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		c.ss.closeOpen()
		conn := c.Conn
		c.AfterReply(func() { conn.Close() }) // virNetServerClientDelayedClose
		return nil, nil
	})
	handle(d, reg, protocol.ProcAuthList, pre, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return &protocol.AuthListRet{Types: []protocol.AuthType{protocol.AuthNone}}, nil
	})
	handle(d, reg, protocol.ProcAuthSASLInit, pre, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return nil, protocol.NewError(protocol.FromRPC, protocol.ErrAuthFailed, "authentication failed")
	})
	handle(d, reg, protocol.ProcAuthPolkit, pre, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		// libvirtd logs "client tried invalid PolicyKit init request" and
		// sends whatever error its worker thread last saw; the fake sends
		// the error for none.
		return nil, server.GenericError()
	})
	handle(d, reg, protocol.ProcConnectSupportsFeature, pre, func(c *call, a *protocol.ConnectSupportsFeatureArgs) (protocol.Message, *protocol.Error) {
		if a.Feature == protocol.FeatureProgramKeepalive {
			c.Conn.StartKeepalive()
			return &protocol.ConnectSupportsFeatureRet{Supported: 1}, nil
		}
		if c.st == nil {
			return nil, errNotOpen()
		}
		switch a.Feature {
		case protocol.FeatureFDPassing, protocol.FeatureRemoteEventCallback, protocol.FeatureRemoteCloseCallback,
			protocol.FeatureTypedParamString, protocol.FeatureNetworkUpdateHasCorrectOrder:
			return &protocol.ConnectSupportsFeatureRet{Supported: 1}, nil
		}
		return &protocol.ConnectSupportsFeatureRet{Supported: 0}, nil
	})
	handle(d, reg, protocol.ProcConnectGetType, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return &protocol.StringRet{Value: "TEST"}, nil
	})
	handle(d, reg, protocol.ProcConnectGetVersion, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return &protocol.Uint64Ret{Value: hypervisorVersion}, nil
	})
	handle(d, reg, protocol.ProcConnectGetLibVersion, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return &protocol.Uint64Ret{Value: libVersion}, nil
	})
	handle(d, reg, protocol.ProcConnectGetHostname, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return &protocol.StringRet{Value: d.Hostname()}, nil
	})
	handle(d, reg, protocol.ProcConnectGetURI, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		c.ss.mu.Lock()
		defer c.ss.mu.Unlock()
		return &protocol.StringRet{Value: c.ss.uri}, nil
	})
	handle(d, reg, protocol.ProcConnectIsSecure, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return i32(1), nil
	})
	handle(d, reg, protocol.ProcConnectGetMaxVcpus, rd, func(c *call, _ *maxVcpusArgs) (protocol.Message, *protocol.Error) {
		return i32(maxVCPUs), nil
	})
	handle(d, reg, protocol.ProcNodeGetInfo, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		c.st.mu.Lock()
		i := c.st.info
		c.st.mu.Unlock()
		r := &protocol.NodeGetInfoRet{Memory: i.MemoryKiB, CPUs: i.CPUs, MHz: i.MHz,
			Nodes: i.Nodes, Sockets: i.Sockets, Cores: i.Cores, Threads: i.Threads}
		copy(r.Model[:31], i.Model)
		return r, nil
	})
	handle(d, reg, protocol.ProcConnectGetCapabilities, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		c.ss.mu.Lock()
		numa := c.ss.host != nil && c.ss.host.shared
		c.ss.mu.Unlock()
		return &protocol.StringRet{Value: capabilities(numa)}, nil
	})
	handle(d, reg, protocol.ProcConnectGetSysinfo, rd, func(c *call, a *protocol.Uint32Value) (protocol.Message, *protocol.Error) {
		if err := checkFlags(a.Value, 0, "testConnectGetSysinfo"); err != nil {
			return nil, err
		}
		return &protocol.StringRet{Value: sysinfo}, nil
	})
	handle(d, reg, protocol.ProcConnectSetIdentity, rd, func(c *call, a *protocol.ConnectSetIdentityArgs) (protocol.Message, *protocol.Error) {
		return nil, validateIdentity(a.Params)
	})
	handle(d, reg, protocol.ProcConnectRegisterCloseCallback, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return nil, nil
	})
	handle(d, reg, protocol.ProcConnectUnregisterCloseCallback, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return nil, nil
	})

	// Listing.
	handle(d, reg, protocol.ProcConnectListAllDomains, rd, func(c *call, a *protocol.ConnectListAllDomainsArgs) (protocol.Message, *protocol.Error) {
		ret, err := c.st.listAll(a.NeedResults != 0, a.Flags)
		if err != nil {
			return nil, err
		}
		return ret, nil
	})
	handle(d, reg, protocol.ProcConnectNumOfDomains, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return i32(c.st.numOf(true)), nil
	})
	handle(d, reg, protocol.ProcConnectNumOfDefinedDomains, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		return i32(c.st.numOf(false)), nil
	})
	handle(d, reg, protocol.ProcConnectListDomains, rd, func(c *call, a *protocol.Int32Value) (protocol.Message, *protocol.Error) {
		if err := checkMax("maxids", a.Value, "REMOTE_DOMAIN_LIST_MAX"); err != nil {
			return nil, err
		}
		return &protocol.ConnectListDomainsRet{IDs: c.st.listIDs(a.Value)}, nil
	})
	handle(d, reg, protocol.ProcConnectListDefinedDomains, rd, func(c *call, a *protocol.Int32Value) (protocol.Message, *protocol.Error) {
		if err := checkMax("maxnames", a.Value, "REMOTE_DOMAIN_LIST_MAX"); err != nil {
			return nil, err
		}
		return &protocol.NamesRet{Names: c.st.listDefined(a.Value)}, nil
	})

	// Lookups.
	handle(d, reg, protocol.ProcDomainLookupByID, rd, func(c *call, a *protocol.Int32Value) (protocol.Message, *protocol.Error) {
		if a.Value < 0 {
			return nil, errInvalidArg("virDomainLookupByID", "id", "id in virDomainLookupByID must be zero or greater")
		}
		dom, err := c.st.lookupID(a.Value)
		if err != nil {
			return nil, err
		}
		return &protocol.DomainArgs{Dom: dom}, nil
	})
	handle(d, reg, protocol.ProcDomainLookupByName, rd, func(c *call, a *protocol.DomainLookupByNameArgs) (protocol.Message, *protocol.Error) {
		dom, err := c.st.lookupName(a.Name)
		if err != nil {
			return nil, err
		}
		return &protocol.DomainArgs{Dom: dom}, nil
	})
	handle(d, reg, protocol.ProcDomainLookupByUUID, rd, func(c *call, a *protocol.DomainLookupByUUIDArgs) (protocol.Message, *protocol.Error) {
		dom, err := c.st.lookupUUID(a.UUID)
		if err != nil {
			return nil, err
		}
		return &protocol.DomainArgs{Dom: dom}, nil
	})

	// Domain getters.
	handle(d, reg, protocol.ProcDomainGetState, rd, func(c *call, a *protocol.DomainFlagsArgs) (protocol.Message, *protocol.Error) {
		if err := checkFlags(a.Flags, 0, "testDomainGetState"); err != nil {
			return nil, err
		}
		var r protocol.DomainGetStateRet
		err := c.st.read(&a.Dom, func(o *domainObj) { r = protocol.DomainGetStateRet{State: o.state, Reason: o.reason} })
		if err != nil {
			return nil, err
		}
		return &r, nil
	})
	handle(d, reg, protocol.ProcDomainGetInfo, rd, func(c *call, a *protocol.DomainArgs) (protocol.Message, *protocol.Error) {
		var r protocol.DomainGetInfoRet
		err := c.st.read(&a.Dom, func(o *domainObj) {
			r = protocol.DomainGetInfoRet{State: uint8(o.state), MaxMem: o.def.memory, Memory: o.def.curMemory,
				NrVirtCPU: uint16(o.def.curVcpus), CPUTime: uint64(time.Now().UnixMicro()) * 1000}
		})
		if err != nil {
			return nil, err
		}
		return &r, nil
	})
	handle(d, reg, protocol.ProcDomainGetMaxMemory, rd, func(c *call, a *protocol.DomainArgs) (protocol.Message, *protocol.Error) {
		var v uint64
		if err := c.st.read(&a.Dom, func(o *domainObj) { v = o.def.memory }); err != nil {
			return nil, err
		}
		return &protocol.Uint64Ret{Value: v}, nil
	})
	domainBool := func(proc protocol.Procedure, f func(o *domainObj) bool) {
		handle(d, reg, proc, rd, func(c *call, a *protocol.DomainArgs) (protocol.Message, *protocol.Error) {
			var v bool
			if err := c.st.read(&a.Dom, func(o *domainObj) { v = f(o) }); err != nil {
				return nil, err
			}
			return b32(v), nil
		})
	}
	domainBool(protocol.ProcDomainGetAutostart, func(o *domainObj) bool { return o.autostart })
	domainBool(protocol.ProcDomainIsActive, (*domainObj).active)
	domainBool(protocol.ProcDomainIsPersistent, func(o *domainObj) bool { return o.persistent })
	handle(d, reg, protocol.ProcDomainHasManagedSaveImage, rd, func(c *call, a *protocol.DomainFlagsArgs) (protocol.Message, *protocol.Error) {
		if err := checkFlags(a.Flags, 0, "testDomainHasManagedSaveImage"); err != nil {
			return nil, err
		}
		var v bool
		if err := c.st.read(&a.Dom, func(o *domainObj) { v = o.managedSave }); err != nil {
			return nil, err
		}
		return b32(v), nil
	})
	handle(d, reg, protocol.ProcDomainGetMetadata, rd, func(c *call, a *getMetadataArgs) (protocol.Message, *protocol.Error) {
		v, err := c.st.getMetadata(&a.DomainGetMetadataArgs)
		if err != nil {
			return nil, err
		}
		return &protocol.StringRet{Value: v}, nil
	})

	// Snapshots and checkpoints.
	handle(d, reg, protocol.ProcDomainSnapshotNum, rd, func(c *call, a *protocol.DomainFlagsArgs) (protocol.Message, *protocol.Error) {
		n, err := c.st.snapshotNum(a)
		if err != nil {
			return nil, err
		}
		return i32(n), nil
	})
	handle(d, reg, protocol.ProcDomainSnapshotListNames, rd, func(c *call, a *protocol.DomainSnapshotListNamesArgs) (protocol.Message, *protocol.Error) {
		if err := checkMax("maxnames", a.MaxNames, "REMOTE_DOMAIN_SNAPSHOT_LIST_MAX"); err != nil {
			return nil, err
		}
		names, err := c.st.snapshotListNames(a)
		if err != nil {
			return nil, err
		}
		return &protocol.NamesRet{Names: names}, nil
	})
	handle(d, reg, protocol.ProcDomainListAllSnapshots, rd, func(c *call, a *protocol.DomainListAllChildrenArgs) (protocol.Message, *protocol.Error) {
		ret, err := c.st.listAllSnapshots(a)
		if err != nil {
			return nil, err
		}
		return ret, nil
	})
	handle(d, reg, protocol.ProcDomainListAllCheckpoints, rd, func(c *call, a *protocol.DomainListAllChildrenArgs) (protocol.Message, *protocol.Error) {
		ret, err := c.st.listAllCheckpoints(a)
		if err != nil {
			return nil, err
		}
		return ret, nil
	})

	// Lifecycle: write procedures, whose events go out after the reply.
	lifecycle := func(proc protocol.Procedure, op func(st *nodeState, d *protocol.NonnullDomain) ([]lifecycleEvent, *protocol.Error)) {
		handle(d, reg, proc, wr, func(c *call, a *protocol.DomainArgs) (protocol.Message, *protocol.Error) {
			evs, err := op(c.st, &a.Dom)
			if err != nil {
				return nil, err
			}
			c.afterReply(evs)
			return nil, nil
		})
	}
	lifecycle(protocol.ProcDomainSuspend, (*nodeState).suspend)
	lifecycle(protocol.ProcDomainResume, (*nodeState).resume)
	lifecycle(protocol.ProcDomainCreate, (*nodeState).create)
	lifecycle(protocol.ProcDomainDestroy, (*nodeState).destroy)
	lifecycle(protocol.ProcDomainShutdown, (*nodeState).shutdown)
	handle(d, reg, protocol.ProcDomainManagedSave, wr, func(c *call, a *protocol.DomainFlagsArgs) (protocol.Message, *protocol.Error) {
		if a.Flags&saveRunning != 0 && a.Flags&savePaused != 0 {
			return nil, errExclusiveFlags("virDomainManagedSave", "VIR_DOMAIN_SAVE_RUNNING", "VIR_DOMAIN_SAVE_PAUSED")
		}
		evs, err := c.st.managedSave(&a.Dom, a.Flags)
		if err != nil {
			return nil, err
		}
		c.afterReply(evs)
		return nil, nil
	})
	handle(d, reg, protocol.ProcDomainManagedSaveRemove, wr, func(c *call, a *protocol.DomainFlagsArgs) (protocol.Message, *protocol.Error) {
		return nil, c.st.managedSaveRemove(&a.Dom, a.Flags)
	})
	handle(d, reg, protocol.ProcDomainSetAutostart, wr, func(c *call, a *protocol.DomainSetAutostartArgs) (protocol.Message, *protocol.Error) {
		return nil, c.st.read(&a.Dom, func(o *domainObj) { o.autostart = a.Autostart != 0 })
	})
	handle(d, reg, protocol.ProcDomainSetMetadata, wr, func(c *call, a *setMetadataArgs) (protocol.Message, *protocol.Error) {
		return nil, c.st.setMetadata(&a.DomainSetMetadataArgs)
	})

	// Events.
	handle(d, reg, protocol.ProcConnectDomainEventCallbackRegisterAny, rd, func(c *call, a *registerArgs) (protocol.Message, *protocol.Error) {
		id, err := c.ss.register(c.st, int32(a.EventID), a.Dom, false)
		if err != nil {
			return nil, err
		}
		return i32(id), nil
	})
	handle(d, reg, protocol.ProcConnectDomainEventCallbackDeregisterAny, rd, func(c *call, a *protocol.Int32Value) (protocol.Message, *protocol.Error) {
		return nil, c.ss.deregisterID(c.st, a.Value)
	})
	handle(d, reg, protocol.ProcConnectDomainEventRegister, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		if _, err := c.ss.register(c.st, int32(protocol.DomainEventIDLifecycle), nil, true); err != nil {
			return nil, err
		}
		return i32(0), nil // cb_registered: libvirtd never sets it
	})
	handle(d, reg, protocol.ProcConnectDomainEventDeregister, rd, func(c *call, _ *void) (protocol.Message, *protocol.Error) {
		if err := c.ss.deregisterEvent(c.st, int32(protocol.DomainEventIDLifecycle)); err != nil {
			return nil, err
		}
		return i32(0), nil
	})
	handle(d, reg, protocol.ProcConnectDomainEventRegisterAny, rd, func(c *call, a *protocol.Int32Value) (protocol.Message, *protocol.Error) {
		_, err := c.ss.register(c.st, a.Value, nil, true)
		return nil, err
	})
	handle(d, reg, protocol.ProcConnectDomainEventDeregisterAny, rd, func(c *call, a *protocol.Int32Value) (protocol.Message, *protocol.Error) {
		return nil, c.ss.deregisterEvent(c.st, a.Value)
	})
}

// checkMax is the dispatcher's check of a max* argument.
func checkMax(arg string, v int32, limit string) *protocol.Error {
	if v < 0 {
		return errRPC(arg + " must be non-negative")
	}
	if v > protocol.DomainListMax {
		return errRPC(arg + " > " + limit)
	}
	return nil
}
