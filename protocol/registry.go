package protocol

// ProcInfo describes one REMOTE_PROGRAM procedure that this package has
// message types for.
type ProcInfo struct {
	Proc Procedure
	// Args, Ret and Msg return a new value of the procedure's args, ret or
	// (for events) message type; nil means the payload is void.
	Args, Ret, Msg func() Message
	// API is the public libvirt function the procedure serves, as libvirt
	// names it in errors ("virDomainSuspend").
	API string
	// Write is true for procedures that change state. libvirtd refuses them
	// on a read-only connection with "operation forbidden: read only access
	// prevents <API>" (FACTS S10).
	Write bool
}

var procInfos = map[Procedure]*ProcInfo{}

func register(p Procedure, api string, write bool, args, ret func() Message) {
	procInfos[p] = &ProcInfo{Proc: p, Args: args, Ret: ret, API: api, Write: write}
}

func registerEvent(p Procedure, msg func() Message) {
	procInfos[p] = &ProcInfo{Proc: p, Msg: msg}
}

// LookupProc returns what the package knows of a REMOTE_PROGRAM procedure.
func LookupProc(p Procedure) (*ProcInfo, bool) {
	info, ok := procInfos[p]
	return info, ok
}

// NewPayload returns a new value of the message type that the payload of a
// frame with header h carries, or nil if the package does not know it: the
// args of a CALL, the ret of an OK REPLY, *Error for an ERROR REPLY, the
// message of a MESSAGE event, and Void for keepalive.
func NewPayload(h *Header) Message {
	switch h.Program {
	case ProgramKeepalive:
		return Void{}
	case ProgramRemote:
	default:
		return nil
	}
	if (h.Type == TypeReply || h.Type == TypeReplyWithFDs) && h.Status == StatusError {
		return new(Error)
	}
	info, ok := procInfos[h.Procedure]
	if !ok {
		return nil
	}
	var f func() Message
	switch h.Type {
	case TypeCall, TypeCallWithFDs:
		f = info.Args
	case TypeReply, TypeReplyWithFDs:
		f = info.Ret
	case TypeMessage:
		f = info.Msg
	default:
		return nil
	}
	if f == nil {
		return Void{}
	}
	return f()
}

func init() {
	newDomain := func() Message { return new(DomainArgs) }
	newDomainFlags := func() Message { return new(DomainFlagsArgs) }
	newInt := func() Message { return new(Int32Value) }
	newString := func() Message { return new(StringRet) }
	newUint64 := func() Message { return new(Uint64Ret) }

	register(ProcConnectOpen, "virConnectOpen", false, func() Message { return new(ConnectOpenArgs) }, nil)
	register(ProcConnectClose, "virConnectClose", false, nil, nil)
	register(ProcConnectGetType, "virConnectGetType", false, nil, newString)
	register(ProcConnectGetVersion, "virConnectGetVersion", false, nil, newUint64)
	register(ProcDomainGetAutostart, "virDomainGetAutostart", false, newDomain, newInt)
	register(ProcDomainGetInfo, "virDomainGetInfo", false, newDomain, func() Message { return new(DomainGetInfoRet) })
	register(ProcDomainLookupByID, "virDomainLookupByID", false, newInt, newDomain)
	register(ProcDomainLookupByName, "virDomainLookupByName", false, func() Message { return new(DomainLookupByNameArgs) }, newDomain)
	register(ProcDomainLookupByUUID, "virDomainLookupByUUID", false, func() Message { return new(DomainLookupByUUIDArgs) }, newDomain)
	register(ProcDomainResume, "virDomainResume", true, newDomain, nil)
	register(ProcDomainSetAutostart, "virDomainSetAutostart", true, func() Message { return new(DomainSetAutostartArgs) }, nil)
	register(ProcDomainSuspend, "virDomainSuspend", true, newDomain, nil)
	register(ProcConnectGetHostname, "virConnectGetHostname", false, nil, newString)
	register(ProcConnectSupportsFeature, "virConnectSupportsFeature", false,
		func() Message { return new(ConnectSupportsFeatureArgs) }, func() Message { return new(ConnectSupportsFeatureRet) })
	register(ProcAuthList, "virConnectAuthList", false, nil, func() Message { return new(AuthListRet) })
	registerEvent(ProcDomainEventLifecycle, func() Message { return new(DomainEventLifecycleMsg) })
	register(ProcConnectGetURI, "virConnectGetURI", false, nil, newString)
	register(ProcConnectIsSecure, "virConnectIsSecure", false, nil, newInt)
	register(ProcDomainIsActive, "virDomainIsActive", false, newDomain, newInt)
	register(ProcDomainIsPersistent, "virDomainIsPersistent", false, newDomain, newInt)
	register(ProcConnectGetLibVersion, "virConnectGetLibVersion", false, nil, newUint64)
	register(ProcConnectDomainEventRegisterAny, "virConnectDomainEventRegisterAny", false, newInt, nil)
	register(ProcConnectDomainEventDeregisterAny, "virConnectDomainEventDeregisterAny", false, newInt, nil)
	register(ProcDomainHasManagedSaveImage, "virDomainHasManagedSaveImage", false, newDomainFlags, newInt)
	register(ProcDomainGetState, "virDomainGetState", false, newDomainFlags, func() Message { return new(DomainGetStateRet) })
	register(ProcConnectListAllDomains, "virConnectListAllDomains", false,
		func() Message { return new(ConnectListAllDomainsArgs) }, func() Message { return new(ConnectListAllDomainsRet) })
	register(ProcConnectDomainEventCallbackRegisterAny, "virConnectDomainEventRegisterAny", false,
		func() Message { return new(ConnectDomainEventCallbackRegisterAnyArgs) }, newInt)
	register(ProcConnectDomainEventCallbackDeregisterAny, "virConnectDomainEventDeregisterAny", false, newInt, nil)
	registerEvent(ProcDomainEventCallbackLifecycle, func() Message { return new(DomainEventCallbackLifecycleMsg) })
	newNames := func() Message { return new(NamesRet) }
	newChildrenArgs := func() Message { return new(DomainListAllChildrenArgs) }
	newChildrenRet := func() Message { return new(DomainListAllChildrenRet) }
	register(ProcConnectGetMaxVcpus, "virConnectGetMaxVcpus", false, func() Message { return new(ConnectGetMaxVcpusArgs) }, newInt)
	register(ProcNodeGetInfo, "virNodeGetInfo", false, nil, func() Message { return new(NodeGetInfoRet) })
	register(ProcConnectGetCapabilities, "virConnectGetCapabilities", false, nil, newString)
	register(ProcDomainCreate, "virDomainCreate", true, newDomain, nil)
	register(ProcDomainDestroy, "virDomainDestroy", true, newDomain, nil)
	register(ProcDomainGetXMLDesc, "virDomainGetXMLDesc", false, newDomainFlags, newString)
	register(ProcDomainGetMaxMemory, "virDomainGetMaxMemory", false, newDomain, newUint64)
	register(ProcConnectListDefinedDomains, "virConnectListDefinedDomains", false, newInt, newNames)
	register(ProcConnectNumOfDefinedDomains, "virConnectNumOfDefinedDomains", false, nil, newInt)
	register(ProcDomainShutdown, "virDomainShutdown", true, newDomain, nil)
	register(ProcConnectListDomains, "virConnectListDomains", false, newInt, func() Message { return new(ConnectListDomainsRet) })
	register(ProcConnectNumOfDomains, "virConnectNumOfDomains", false, nil, newInt)
	register(ProcAuthSASLInit, "", false, nil, newString)
	register(ProcAuthPolkit, "", false, nil, newInt)
	register(ProcConnectDomainEventRegister, "virConnectDomainEventRegister", false, nil, newInt)
	register(ProcConnectDomainEventDeregister, "virConnectDomainEventDeregister", false, nil, newInt)
	register(ProcDomainManagedSave, "virDomainManagedSave", true, newDomainFlags, nil)
	register(ProcDomainManagedSaveRemove, "virDomainManagedSaveRemove", true, newDomainFlags, nil)
	register(ProcDomainSnapshotNum, "virDomainSnapshotNum", false, newDomainFlags, newInt)
	register(ProcDomainSnapshotListNames, "virDomainSnapshotListNames", false, func() Message { return new(DomainSnapshotListNamesArgs) }, newNames)
	register(ProcConnectGetSysinfo, "virConnectGetSysinfo", false, func() Message { return new(Uint32Value) }, newString)
	register(ProcDomainSetMetadata, "virDomainSetMetadata", true, func() Message { return new(DomainSetMetadataArgs) }, nil)
	register(ProcDomainGetMetadata, "virDomainGetMetadata", false, func() Message { return new(DomainGetMetadataArgs) }, newString)
	register(ProcDomainListAllSnapshots, "virDomainListAllSnapshots", false, newChildrenArgs, newChildrenRet)
	register(ProcDomainListAllCheckpoints, "virDomainListAllCheckpoints", false, newChildrenArgs, newChildrenRet)
	register(ProcConnectSetIdentity, "virConnectSetIdentity", false, func() Message { return new(ConnectSetIdentityArgs) }, nil)
	register(ProcConnectRegisterCloseCallback, "virConnectRegisterCloseCallback", false, nil, nil)
	register(ProcConnectUnregisterCloseCallback, "virConnectUnregisterCloseCallback", false, nil, nil)
}
