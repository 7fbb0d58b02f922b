package protocol

import "strconv"

// Procedure is a procedure number of REMOTE_PROGRAM (remote_procedure), or of
// another program where the constant says so.
type Procedure int32

// REMOTE_PROGRAM procedures virtwire has message types for (FACTS §5 and
// §12). Procedure.String names all 443 of libvirt 9.0.
const (
	ProcConnectOpen                             Procedure = 1
	ProcConnectClose                            Procedure = 2
	ProcConnectGetType                          Procedure = 3
	ProcConnectGetVersion                       Procedure = 4
	ProcDomainGetAutostart                      Procedure = 15
	ProcDomainGetInfo                           Procedure = 16
	ProcConnectListDefinedDomains               Procedure = 21
	ProcDomainLookupByID                        Procedure = 22
	ProcDomainLookupByName                      Procedure = 23
	ProcDomainLookupByUUID                      Procedure = 24
	ProcConnectNumOfDefinedDomains              Procedure = 25
	ProcDomainResume                            Procedure = 28
	ProcDomainSetAutostart                      Procedure = 29
	ProcDomainSuspend                           Procedure = 34
	ProcConnectListDomains                      Procedure = 37
	ProcConnectNumOfDomains                     Procedure = 51
	ProcConnectGetHostname                      Procedure = 59
	ProcConnectSupportsFeature                  Procedure = 60
	ProcAuthList                                Procedure = 66
	ProcDomainEventLifecycle                    Procedure = 107
	ProcConnectGetURI                           Procedure = 110
	ProcConnectIsSecure                         Procedure = 149
	ProcDomainIsActive                          Procedure = 150
	ProcDomainIsPersistent                      Procedure = 151
	ProcConnectGetLibVersion                    Procedure = 157
	ProcConnectDomainEventRegisterAny           Procedure = 167
	ProcConnectDomainEventDeregisterAny         Procedure = 168
	ProcDomainHasManagedSaveImage               Procedure = 183
	ProcDomainGetState                          Procedure = 212
	ProcConnectListAllDomains                   Procedure = 273
	ProcConnectDomainEventCallbackRegisterAny   Procedure = 316
	ProcConnectDomainEventCallbackDeregisterAny Procedure = 317
	ProcDomainEventCallbackLifecycle            Procedure = 318
	ProcConnectRegisterCloseCallback            Procedure = 360
	ProcConnectUnregisterCloseCallback          Procedure = 361
	ProcConnectSetIdentity                      Procedure = 419

	ProcConnectGetMaxVcpus           Procedure = 5
	ProcNodeGetInfo                  Procedure = 6
	ProcConnectGetCapabilities       Procedure = 7
	ProcDomainCreate                 Procedure = 9
	ProcDomainDestroy                Procedure = 12
	ProcDomainGetXMLDesc             Procedure = 14
	ProcDomainGetMaxMemory           Procedure = 17
	ProcDomainShutdown               Procedure = 33
	ProcAuthSASLInit                 Procedure = 67
	ProcAuthSASLStart                Procedure = 68
	ProcAuthSASLStep                 Procedure = 69
	ProcAuthPolkit                   Procedure = 70
	ProcConnectDomainEventRegister   Procedure = 105
	ProcConnectDomainEventDeregister Procedure = 106
	ProcDomainManagedSave            Procedure = 182
	ProcDomainManagedSaveRemove      Procedure = 184
	ProcDomainSnapshotNum            Procedure = 187
	ProcDomainSnapshotListNames      Procedure = 188
	ProcConnectGetSysinfo            Procedure = 203
	ProcDomainSetMetadata            Procedure = 264
	ProcDomainGetMetadata            Procedure = 265
	ProcDomainListAllSnapshots       Procedure = 274
	ProcDomainListAllCheckpoints     Procedure = 413
	// ProcLast is the highest REMOTE procedure of libvirt 9.0
	// (DOMAIN_FD_ASSOCIATE).
	ProcLast Procedure = 443
)

// String returns the name without its REMOTE_PROC_ prefix, or the number.
func (p Procedure) String() string {
	if p > 0 && int(p) < len(procedureNames) {
		return procedureNames[p]
	}
	return strconv.Itoa(int(p))
}

// IsEvent reports whether p is a procedure the server sends as a MESSAGE
// event (it has a *_msg struct), never a call.
func (p Procedure) IsEvent() bool { return eventProcedures[p] }
