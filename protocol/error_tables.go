package protocol

// Error codes (virErrorNumber, include/libvirt/virterror.h; FACTS §9). The
// VIR_WAR_* warnings share the numbering.
const (
	ErrOK                      ErrorCode = 0   // VIR_ERR_OK
	ErrInternalError           ErrorCode = 1   // VIR_ERR_INTERNAL_ERROR
	ErrNoMemory                ErrorCode = 2   // VIR_ERR_NO_MEMORY
	ErrNoSupport               ErrorCode = 3   // VIR_ERR_NO_SUPPORT
	ErrUnknownHost             ErrorCode = 4   // VIR_ERR_UNKNOWN_HOST
	ErrNoConnect               ErrorCode = 5   // VIR_ERR_NO_CONNECT
	ErrInvalidConn             ErrorCode = 6   // VIR_ERR_INVALID_CONN
	ErrInvalidDomain           ErrorCode = 7   // VIR_ERR_INVALID_DOMAIN
	ErrInvalidArg              ErrorCode = 8   // VIR_ERR_INVALID_ARG
	ErrOperationFailed         ErrorCode = 9   // VIR_ERR_OPERATION_FAILED
	ErrGetFailed               ErrorCode = 10  // VIR_ERR_GET_FAILED
	ErrPostFailed              ErrorCode = 11  // VIR_ERR_POST_FAILED
	ErrHTTPError               ErrorCode = 12  // VIR_ERR_HTTP_ERROR
	ErrSExprSerial             ErrorCode = 13  // VIR_ERR_SEXPR_SERIAL
	ErrNoXen                   ErrorCode = 14  // VIR_ERR_NO_XEN
	ErrXenCall                 ErrorCode = 15  // VIR_ERR_XEN_CALL
	ErrOSType                  ErrorCode = 16  // VIR_ERR_OS_TYPE
	ErrNoKernel                ErrorCode = 17  // VIR_ERR_NO_KERNEL
	ErrNoRoot                  ErrorCode = 18  // VIR_ERR_NO_ROOT
	ErrNoSource                ErrorCode = 19  // VIR_ERR_NO_SOURCE
	ErrNoTarget                ErrorCode = 20  // VIR_ERR_NO_TARGET
	ErrNoName                  ErrorCode = 21  // VIR_ERR_NO_NAME
	ErrNoOS                    ErrorCode = 22  // VIR_ERR_NO_OS
	ErrNoDevice                ErrorCode = 23  // VIR_ERR_NO_DEVICE
	ErrNoXenStore              ErrorCode = 24  // VIR_ERR_NO_XENSTORE
	ErrDriverFull              ErrorCode = 25  // VIR_ERR_DRIVER_FULL
	ErrCallFailed              ErrorCode = 26  // VIR_ERR_CALL_FAILED
	ErrXMLError                ErrorCode = 27  // VIR_ERR_XML_ERROR
	ErrDomExist                ErrorCode = 28  // VIR_ERR_DOM_EXIST
	ErrOperationDenied         ErrorCode = 29  // VIR_ERR_OPERATION_DENIED
	ErrOpenFailed              ErrorCode = 30  // VIR_ERR_OPEN_FAILED
	ErrReadFailed              ErrorCode = 31  // VIR_ERR_READ_FAILED
	ErrParseFailed             ErrorCode = 32  // VIR_ERR_PARSE_FAILED
	ErrConfSyntax              ErrorCode = 33  // VIR_ERR_CONF_SYNTAX
	ErrWriteFailed             ErrorCode = 34  // VIR_ERR_WRITE_FAILED
	ErrXMLDetail               ErrorCode = 35  // VIR_ERR_XML_DETAIL
	ErrInvalidNetwork          ErrorCode = 36  // VIR_ERR_INVALID_NETWORK
	ErrNetworkExist            ErrorCode = 37  // VIR_ERR_NETWORK_EXIST
	ErrSystemError             ErrorCode = 38  // VIR_ERR_SYSTEM_ERROR
	ErrRPC                     ErrorCode = 39  // VIR_ERR_RPC
	ErrGnuTLSError             ErrorCode = 40  // VIR_ERR_GNUTLS_ERROR
	WarNoNetwork               ErrorCode = 41  // VIR_WAR_NO_NETWORK
	ErrNoDomain                ErrorCode = 42  // VIR_ERR_NO_DOMAIN
	ErrNoNetwork               ErrorCode = 43  // VIR_ERR_NO_NETWORK
	ErrInvalidMAC              ErrorCode = 44  // VIR_ERR_INVALID_MAC
	ErrAuthFailed              ErrorCode = 45  // VIR_ERR_AUTH_FAILED
	ErrInvalidStoragePool      ErrorCode = 46  // VIR_ERR_INVALID_STORAGE_POOL
	ErrInvalidStorageVol       ErrorCode = 47  // VIR_ERR_INVALID_STORAGE_VOL
	WarNoStorage               ErrorCode = 48  // VIR_WAR_NO_STORAGE
	ErrNoStoragePool           ErrorCode = 49  // VIR_ERR_NO_STORAGE_POOL
	ErrNoStorageVol            ErrorCode = 50  // VIR_ERR_NO_STORAGE_VOL
	WarNoNode                  ErrorCode = 51  // VIR_WAR_NO_NODE
	ErrInvalidNodeDevice       ErrorCode = 52  // VIR_ERR_INVALID_NODE_DEVICE
	ErrNoNodeDevice            ErrorCode = 53  // VIR_ERR_NO_NODE_DEVICE
	ErrNoSecurityModel         ErrorCode = 54  // VIR_ERR_NO_SECURITY_MODEL
	ErrOperationInvalid        ErrorCode = 55  // VIR_ERR_OPERATION_INVALID
	WarNoInterface             ErrorCode = 56  // VIR_WAR_NO_INTERFACE
	ErrNoInterface             ErrorCode = 57  // VIR_ERR_NO_INTERFACE
	ErrInvalidInterface        ErrorCode = 58  // VIR_ERR_INVALID_INTERFACE
	ErrMultipleInterfaces      ErrorCode = 59  // VIR_ERR_MULTIPLE_INTERFACES
	WarNoNWFilter              ErrorCode = 60  // VIR_WAR_NO_NWFILTER
	ErrInvalidNWFilter         ErrorCode = 61  // VIR_ERR_INVALID_NWFILTER
	ErrNoNWFilter              ErrorCode = 62  // VIR_ERR_NO_NWFILTER
	ErrBuildFirewall           ErrorCode = 63  // VIR_ERR_BUILD_FIREWALL
	WarNoSecret                ErrorCode = 64  // VIR_WAR_NO_SECRET
	ErrInvalidSecret           ErrorCode = 65  // VIR_ERR_INVALID_SECRET
	ErrNoSecret                ErrorCode = 66  // VIR_ERR_NO_SECRET
	ErrConfigUnsupported       ErrorCode = 67  // VIR_ERR_CONFIG_UNSUPPORTED
	ErrOperationTimeout        ErrorCode = 68  // VIR_ERR_OPERATION_TIMEOUT
	ErrMigratePersistFailed    ErrorCode = 69  // VIR_ERR_MIGRATE_PERSIST_FAILED
	ErrHookScriptFailed        ErrorCode = 70  // VIR_ERR_HOOK_SCRIPT_FAILED
	ErrInvalidDomainSnapshot   ErrorCode = 71  // VIR_ERR_INVALID_DOMAIN_SNAPSHOT
	ErrNoDomainSnapshot        ErrorCode = 72  // VIR_ERR_NO_DOMAIN_SNAPSHOT
	ErrInvalidStream           ErrorCode = 73  // VIR_ERR_INVALID_STREAM
	ErrArgumentUnsupported     ErrorCode = 74  // VIR_ERR_ARGUMENT_UNSUPPORTED
	ErrStorageProbeFailed      ErrorCode = 75  // VIR_ERR_STORAGE_PROBE_FAILED
	ErrStoragePoolBuilt        ErrorCode = 76  // VIR_ERR_STORAGE_POOL_BUILT
	ErrSnapshotRevertRisky     ErrorCode = 77  // VIR_ERR_SNAPSHOT_REVERT_RISKY
	ErrOperationAborted        ErrorCode = 78  // VIR_ERR_OPERATION_ABORTED
	ErrAuthCancelled           ErrorCode = 79  // VIR_ERR_AUTH_CANCELLED
	ErrNoDomainMetadata        ErrorCode = 80  // VIR_ERR_NO_DOMAIN_METADATA
	ErrMigrateUnsafe           ErrorCode = 81  // VIR_ERR_MIGRATE_UNSAFE
	ErrOverflow                ErrorCode = 82  // VIR_ERR_OVERFLOW
	ErrBlockCopyActive         ErrorCode = 83  // VIR_ERR_BLOCK_COPY_ACTIVE
	ErrOperationUnsupported    ErrorCode = 84  // VIR_ERR_OPERATION_UNSUPPORTED
	ErrSSH                     ErrorCode = 85  // VIR_ERR_SSH
	ErrAgentUnresponsive       ErrorCode = 86  // VIR_ERR_AGENT_UNRESPONSIVE
	ErrResourceBusy            ErrorCode = 87  // VIR_ERR_RESOURCE_BUSY
	ErrAccessDenied            ErrorCode = 88  // VIR_ERR_ACCESS_DENIED
	ErrDBusService             ErrorCode = 89  // VIR_ERR_DBUS_SERVICE
	ErrStorageVolExist         ErrorCode = 90  // VIR_ERR_STORAGE_VOL_EXIST
	ErrCPUIncompatible         ErrorCode = 91  // VIR_ERR_CPU_INCOMPATIBLE
	ErrXMLInvalidSchema        ErrorCode = 92  // VIR_ERR_XML_INVALID_SCHEMA
	ErrMigrateFinishOk         ErrorCode = 93  // VIR_ERR_MIGRATE_FINISH_OK
	ErrAuthUnavailable         ErrorCode = 94  // VIR_ERR_AUTH_UNAVAILABLE
	ErrNoServer                ErrorCode = 95  // VIR_ERR_NO_SERVER
	ErrNoClient                ErrorCode = 96  // VIR_ERR_NO_CLIENT
	ErrAgentUnsynced           ErrorCode = 97  // VIR_ERR_AGENT_UNSYNCED
	ErrLibSSH                  ErrorCode = 98  // VIR_ERR_LIBSSH
	ErrDeviceMissing           ErrorCode = 99  // VIR_ERR_DEVICE_MISSING
	ErrInvalidNWFilterBinding  ErrorCode = 100 // VIR_ERR_INVALID_NWFILTER_BINDING
	ErrNoNWFilterBinding       ErrorCode = 101 // VIR_ERR_NO_NWFILTER_BINDING
	ErrInvalidDomainCheckpoint ErrorCode = 102 // VIR_ERR_INVALID_DOMAIN_CHECKPOINT
	ErrNoDomainCheckpoint      ErrorCode = 103 // VIR_ERR_NO_DOMAIN_CHECKPOINT
	ErrNoDomainBackup          ErrorCode = 104 // VIR_ERR_NO_DOMAIN_BACKUP
	ErrInvalidNetworkPort      ErrorCode = 105 // VIR_ERR_INVALID_NETWORK_PORT
	ErrNetworkPortExist        ErrorCode = 106 // VIR_ERR_NETWORK_PORT_EXIST
	ErrNoNetworkPort           ErrorCode = 107 // VIR_ERR_NO_NETWORK_PORT
	ErrNoHostname              ErrorCode = 108 // VIR_ERR_NO_HOSTNAME
	ErrCheckpointInconsistent  ErrorCode = 109 // VIR_ERR_CHECKPOINT_INCONSISTENT
	ErrMultipleDomains         ErrorCode = 110 // VIR_ERR_MULTIPLE_DOMAINS
)

var errorCodeNames = [...]string{
	0:   "OK",
	1:   "INTERNAL_ERROR",
	2:   "NO_MEMORY",
	3:   "NO_SUPPORT",
	4:   "UNKNOWN_HOST",
	5:   "NO_CONNECT",
	6:   "INVALID_CONN",
	7:   "INVALID_DOMAIN",
	8:   "INVALID_ARG",
	9:   "OPERATION_FAILED",
	10:  "GET_FAILED",
	11:  "POST_FAILED",
	12:  "HTTP_ERROR",
	13:  "SEXPR_SERIAL",
	14:  "NO_XEN",
	15:  "XEN_CALL",
	16:  "OS_TYPE",
	17:  "NO_KERNEL",
	18:  "NO_ROOT",
	19:  "NO_SOURCE",
	20:  "NO_TARGET",
	21:  "NO_NAME",
	22:  "NO_OS",
	23:  "NO_DEVICE",
	24:  "NO_XENSTORE",
	25:  "DRIVER_FULL",
	26:  "CALL_FAILED",
	27:  "XML_ERROR",
	28:  "DOM_EXIST",
	29:  "OPERATION_DENIED",
	30:  "OPEN_FAILED",
	31:  "READ_FAILED",
	32:  "PARSE_FAILED",
	33:  "CONF_SYNTAX",
	34:  "WRITE_FAILED",
	35:  "XML_DETAIL",
	36:  "INVALID_NETWORK",
	37:  "NETWORK_EXIST",
	38:  "SYSTEM_ERROR",
	39:  "RPC",
	40:  "GNUTLS_ERROR",
	41:  "WAR_NO_NETWORK",
	42:  "NO_DOMAIN",
	43:  "NO_NETWORK",
	44:  "INVALID_MAC",
	45:  "AUTH_FAILED",
	46:  "INVALID_STORAGE_POOL",
	47:  "INVALID_STORAGE_VOL",
	48:  "WAR_NO_STORAGE",
	49:  "NO_STORAGE_POOL",
	50:  "NO_STORAGE_VOL",
	51:  "WAR_NO_NODE",
	52:  "INVALID_NODE_DEVICE",
	53:  "NO_NODE_DEVICE",
	54:  "NO_SECURITY_MODEL",
	55:  "OPERATION_INVALID",
	56:  "WAR_NO_INTERFACE",
	57:  "NO_INTERFACE",
	58:  "INVALID_INTERFACE",
	59:  "MULTIPLE_INTERFACES",
	60:  "WAR_NO_NWFILTER",
	61:  "INVALID_NWFILTER",
	62:  "NO_NWFILTER",
	63:  "BUILD_FIREWALL",
	64:  "WAR_NO_SECRET",
	65:  "INVALID_SECRET",
	66:  "NO_SECRET",
	67:  "CONFIG_UNSUPPORTED",
	68:  "OPERATION_TIMEOUT",
	69:  "MIGRATE_PERSIST_FAILED",
	70:  "HOOK_SCRIPT_FAILED",
	71:  "INVALID_DOMAIN_SNAPSHOT",
	72:  "NO_DOMAIN_SNAPSHOT",
	73:  "INVALID_STREAM",
	74:  "ARGUMENT_UNSUPPORTED",
	75:  "STORAGE_PROBE_FAILED",
	76:  "STORAGE_POOL_BUILT",
	77:  "SNAPSHOT_REVERT_RISKY",
	78:  "OPERATION_ABORTED",
	79:  "AUTH_CANCELLED",
	80:  "NO_DOMAIN_METADATA",
	81:  "MIGRATE_UNSAFE",
	82:  "OVERFLOW",
	83:  "BLOCK_COPY_ACTIVE",
	84:  "OPERATION_UNSUPPORTED",
	85:  "SSH",
	86:  "AGENT_UNRESPONSIVE",
	87:  "RESOURCE_BUSY",
	88:  "ACCESS_DENIED",
	89:  "DBUS_SERVICE",
	90:  "STORAGE_VOL_EXIST",
	91:  "CPU_INCOMPATIBLE",
	92:  "XML_INVALID_SCHEMA",
	93:  "MIGRATE_FINISH_OK",
	94:  "AUTH_UNAVAILABLE",
	95:  "NO_SERVER",
	96:  "NO_CLIENT",
	97:  "AGENT_UNSYNCED",
	98:  "LIBSSH",
	99:  "DEVICE_MISSING",
	100: "INVALID_NWFILTER_BINDING",
	101: "NO_NWFILTER_BINDING",
	102: "INVALID_DOMAIN_CHECKPOINT",
	103: "NO_DOMAIN_CHECKPOINT",
	104: "NO_DOMAIN_BACKUP",
	105: "INVALID_NETWORK_PORT",
	106: "NETWORK_PORT_EXIST",
	107: "NO_NETWORK_PORT",
	108: "NO_HOSTNAME",
	109: "CHECKPOINT_INCONSISTENT",
	110: "MULTIPLE_DOMAINS",
}

// errorTemplates holds virErrorMsg's two templates for each code: without and
// with a detail (src/util/virerror.c).
var errorTemplates = map[ErrorCode][2]string{
	1:   {"internal error", "internal error: %s"},
	2:   {"out of memory", "out of memory: %s"},
	3:   {"this function is not supported by the connection driver", "this function is not supported by the connection driver: %s"},
	4:   {"unknown host", "unknown host %s"},
	5:   {"no connection driver available", "no connection driver available for %s"},
	6:   {"invalid connection pointer in", "invalid connection pointer in %s"},
	7:   {"invalid domain pointer in", "invalid domain pointer in %s"},
	8:   {"invalid argument", "invalid argument: %s"},
	9:   {"operation failed", "operation failed: %s"},
	10:  {"GET operation failed", "GET operation failed: %s"},
	11:  {"POST operation failed", "POST operation failed: %s"},
	12:  {"got unknown HTTP error code", "got unknown HTTP error code %s"},
	13:  {"failed to serialize S-Expr", "failed to serialize S-Expr: %s"},
	14:  {"could not use Xen hypervisor entry", "could not use Xen hypervisor entry %s"},
	15:  {"failed Xen syscall", "failed Xen syscall %s"},
	16:  {"unknown OS type", "unknown OS type %s"},
	17:  {"missing kernel information", "missing kernel information: %s"},
	18:  {"missing root device information", "missing root device information in %s"},
	19:  {"missing source information for device", "missing source information for device %s"},
	20:  {"missing target information for device", "missing target information for device %s"},
	21:  {"missing name information", "missing name information in %s"},
	22:  {"missing operating system information", "missing operating system information for %s"},
	23:  {"missing devices information", "missing devices information for %s"},
	24:  {"could not connect to Xen Store", "could not connect to Xen Store %s"},
	25:  {"too many drivers registered", "too many drivers registered in %s"},
	26:  {"library call failed", "library call failed: %s"},
	27:  {"XML description is invalid or not well formed", "XML error: %s"},
	28:  {"this domain exists already", "domain %s exists already"},
	29:  {"operation forbidden for read only access", "operation forbidden: %s"},
	30:  {"failed to open configuration file", "failed to open configuration file %s"},
	31:  {"failed to read configuration file", "failed to read configuration file %s"},
	32:  {"failed to parse configuration file", "failed to parse configuration file %s"},
	33:  {"configuration file syntax error", "configuration file syntax error: %s"},
	34:  {"failed to write configuration file", "failed to write configuration file: %s"},
	35:  {"parser error", "%s"},
	36:  {"invalid network pointer in", "invalid network pointer in %s"},
	37:  {"this network exists already", "network %s exists already"},
	38:  {"system call error", "%s"},
	39:  {"RPC error", "%s"},
	40:  {"GNUTLS call error", "%s"},
	41:  {"Failed to find the network", "Failed to find the network: %s"},
	42:  {"Domain not found", "Domain not found: %s"},
	43:  {"Network not found", "Network not found: %s"},
	44:  {"invalid MAC address", "invalid MAC address: %s"},
	45:  {"authentication failed", "authentication failed: %s"},
	46:  {"invalid storage pool pointer in", "invalid storage pool pointer in %s"},
	47:  {"invalid storage volume pointer in", "invalid storage volume pointer in %s"},
	48:  {"Failed to find a storage driver", "Failed to find a storage driver: %s"},
	49:  {"Storage pool not found", "Storage pool not found: %s"},
	50:  {"Storage volume not found", "Storage volume not found: %s"},
	51:  {"Failed to find a node driver", "Failed to find a node driver: %s"},
	52:  {"invalid node device pointer", "invalid node device pointer in %s"},
	53:  {"Node device not found", "Node device not found: %s"},
	54:  {"Security model not found", "Security model not found: %s"},
	55:  {"Requested operation is not valid", "Requested operation is not valid: %s"},
	56:  {"Failed to find the interface", "Failed to find the interface: %s"},
	57:  {"Interface not found", "Interface not found: %s"},
	58:  {"invalid interface pointer in", "invalid interface pointer in %s"},
	59:  {"multiple matching interfaces found", "multiple matching interfaces found: %s"},
	60:  {"Failed to start the nwfilter driver", "Failed to start the nwfilter driver: %s"},
	61:  {"Invalid network filter", "Invalid network filter: %s"},
	62:  {"Network filter not found", "Network filter not found: %s"},
	63:  {"Error while building firewall", "Error while building firewall: %s"},
	64:  {"Failed to find a secret storage driver", "Failed to find a secret storage driver: %s"},
	65:  {"Invalid secret", "Invalid secret: %s"},
	66:  {"Secret not found", "Secret not found: %s"},
	67:  {"unsupported configuration", "unsupported configuration: %s"},
	68:  {"Timed out during operation", "Timed out during operation: %s"},
	69:  {"Failed to make domain persistent after migration", "Failed to make domain persistent after migration: %s"},
	70:  {"Hook script execution failed", "Hook script execution failed: %s"},
	71:  {"Invalid domain snapshot", "Invalid domain snapshot: %s"},
	72:  {"Domain snapshot not found", "Domain snapshot not found: %s"},
	73:  {"invalid stream pointer", "invalid stream pointer in %s"},
	74:  {"argument unsupported", "argument unsupported: %s"},
	75:  {"Storage pool probe failed", "Storage pool probe failed: %s"},
	76:  {"Storage pool already built", "Storage pool already built: %s"},
	77:  {"revert requires force", "revert requires force: %s"},
	78:  {"operation aborted", "operation aborted: %s"},
	79:  {"authentication cancelled", "authentication cancelled: %s"},
	80:  {"metadata not found", "metadata not found: %s"},
	81:  {"Unsafe migration", "Unsafe migration: %s"},
	82:  {"numerical overflow", "numerical overflow: %s"},
	83:  {"block copy still active", "block copy still active: %s"},
	84:  {"Operation not supported", "Operation not supported: %s"},
	85:  {"SSH transport error", "SSH transport error: %s"},
	86:  {"Guest agent is not responding", "Guest agent is not responding: %s"},
	87:  {"resource busy", "resource busy: %s"},
	88:  {"access denied", "access denied: %s"},
	89:  {"error from service", "error from service: %s"},
	90:  {"this storage volume exists already", "storage volume %s exists already"},
	91:  {"the CPU is incompatible with host CPU", "the CPU is incompatible with host CPU: %s"},
	92:  {"XML document failed to validate against schema", "XML document failed to validate against schema: %s"},
	93:  {"migration successfully aborted", "migration successfully aborted: %s"},
	94:  {"authentication unavailable", "authentication unavailable: %s"},
	95:  {"Server not found", "Server not found: %s"},
	96:  {"Client not found", "Client not found: %s"},
	97:  {"guest agent replied with wrong id to guest-sync command", "guest agent replied with wrong id to guest-sync command: %s"},
	98:  {"libssh transport error", "libssh transport error: %s"},
	99:  {"device not found", "device not found: %s"},
	100: {"Invalid network filter binding", "Invalid network filter binding: %s"},
	101: {"Network filter binding not found", "Network filter binding not found: %s"},
	102: {"Invalid domain checkpoint", "Invalid domain checkpoint: %s"},
	103: {"Domain checkpoint not found", "Domain checkpoint not found: %s"},
	104: {"Domain backup job id not found", "Domain backup job id not found: %s"},
	105: {"Invalid network port pointer", "Invalid network port pointer: %s"},
	106: {"this network port exists already", "network port %s exists already"},
	107: {"network port not found", "network port not found: %s"},
	108: {"no hostname found", "no hostname found: %s"},
	109: {"checkpoint inconsistent", "checkpoint inconsistent: %s"},
	110: {"multiple matching domains found", "multiple matching domains found: %s"},
}

// Error domains (virErrorDomain; FACTS §9).
const (
	FromNone             ErrorDomain = 0  // VIR_FROM_NONE
	FromXen              ErrorDomain = 1  // VIR_FROM_XEN
	FromXenD             ErrorDomain = 2  // VIR_FROM_XEND
	FromXenStore         ErrorDomain = 3  // VIR_FROM_XENSTORE
	FromSExpr            ErrorDomain = 4  // VIR_FROM_SEXPR
	FromXML              ErrorDomain = 5  // VIR_FROM_XML
	FromDom              ErrorDomain = 6  // VIR_FROM_DOM
	FromRPC              ErrorDomain = 7  // VIR_FROM_RPC
	FromProxy            ErrorDomain = 8  // VIR_FROM_PROXY
	FromConf             ErrorDomain = 9  // VIR_FROM_CONF
	FromQEMU             ErrorDomain = 10 // VIR_FROM_QEMU
	FromNet              ErrorDomain = 11 // VIR_FROM_NET
	FromTest             ErrorDomain = 12 // VIR_FROM_TEST
	FromRemote           ErrorDomain = 13 // VIR_FROM_REMOTE
	FromOpenVZ           ErrorDomain = 14 // VIR_FROM_OPENVZ
	FromXenXM            ErrorDomain = 15 // VIR_FROM_XENXM
	FromStatsLinux       ErrorDomain = 16 // VIR_FROM_STATS_LINUX
	FromLXC              ErrorDomain = 17 // VIR_FROM_LXC
	FromStorage          ErrorDomain = 18 // VIR_FROM_STORAGE
	FromNetwork          ErrorDomain = 19 // VIR_FROM_NETWORK
	FromDomain           ErrorDomain = 20 // VIR_FROM_DOMAIN
	FromUML              ErrorDomain = 21 // VIR_FROM_UML
	FromNodeDev          ErrorDomain = 22 // VIR_FROM_NODEDEV
	FromXenInotify       ErrorDomain = 23 // VIR_FROM_XEN_INOTIFY
	FromSecurity         ErrorDomain = 24 // VIR_FROM_SECURITY
	FromVBox             ErrorDomain = 25 // VIR_FROM_VBOX
	FromInterface        ErrorDomain = 26 // VIR_FROM_INTERFACE
	FromOne              ErrorDomain = 27 // VIR_FROM_ONE
	FromESX              ErrorDomain = 28 // VIR_FROM_ESX
	FromPHYP             ErrorDomain = 29 // VIR_FROM_PHYP
	FromSecret           ErrorDomain = 30 // VIR_FROM_SECRET
	FromCPU              ErrorDomain = 31 // VIR_FROM_CPU
	FromXenAPI           ErrorDomain = 32 // VIR_FROM_XENAPI
	FromNWFilter         ErrorDomain = 33 // VIR_FROM_NWFILTER
	FromHook             ErrorDomain = 34 // VIR_FROM_HOOK
	FromDomainSnapshot   ErrorDomain = 35 // VIR_FROM_DOMAIN_SNAPSHOT
	FromAudit            ErrorDomain = 36 // VIR_FROM_AUDIT
	FromSysinfo          ErrorDomain = 37 // VIR_FROM_SYSINFO
	FromStreams          ErrorDomain = 38 // VIR_FROM_STREAMS
	FromVMware           ErrorDomain = 39 // VIR_FROM_VMWARE
	FromEvent            ErrorDomain = 40 // VIR_FROM_EVENT
	FromLibXL            ErrorDomain = 41 // VIR_FROM_LIBXL
	FromLocking          ErrorDomain = 42 // VIR_FROM_LOCKING
	FromHyperV           ErrorDomain = 43 // VIR_FROM_HYPERV
	FromCapabilities     ErrorDomain = 44 // VIR_FROM_CAPABILITIES
	FromURI              ErrorDomain = 45 // VIR_FROM_URI
	FromAuth             ErrorDomain = 46 // VIR_FROM_AUTH
	FromDBus             ErrorDomain = 47 // VIR_FROM_DBUS
	FromParallels        ErrorDomain = 48 // VIR_FROM_PARALLELS
	FromDevice           ErrorDomain = 49 // VIR_FROM_DEVICE
	FromSSH              ErrorDomain = 50 // VIR_FROM_SSH
	FromLockspace        ErrorDomain = 51 // VIR_FROM_LOCKSPACE
	FromInitctl          ErrorDomain = 52 // VIR_FROM_INITCTL
	FromIdentity         ErrorDomain = 53 // VIR_FROM_IDENTITY
	FromCgroup           ErrorDomain = 54 // VIR_FROM_CGROUP
	FromAccess           ErrorDomain = 55 // VIR_FROM_ACCESS
	FromSystemd          ErrorDomain = 56 // VIR_FROM_SYSTEMD
	FromBhyve            ErrorDomain = 57 // VIR_FROM_BHYVE
	FromCrypto           ErrorDomain = 58 // VIR_FROM_CRYPTO
	FromFirewall         ErrorDomain = 59 // VIR_FROM_FIREWALL
	FromPolkit           ErrorDomain = 60 // VIR_FROM_POLKIT
	FromThread           ErrorDomain = 61 // VIR_FROM_THREAD
	FromAdmin            ErrorDomain = 62 // VIR_FROM_ADMIN
	FromLogging          ErrorDomain = 63 // VIR_FROM_LOGGING
	FromXenXL            ErrorDomain = 64 // VIR_FROM_XENXL
	FromPerf             ErrorDomain = 65 // VIR_FROM_PERF
	FromLibSSH           ErrorDomain = 66 // VIR_FROM_LIBSSH
	FromResctrl          ErrorDomain = 67 // VIR_FROM_RESCTRL
	FromFirewalld        ErrorDomain = 68 // VIR_FROM_FIREWALLD
	FromDomainCheckpoint ErrorDomain = 69 // VIR_FROM_DOMAIN_CHECKPOINT
	FromTPM              ErrorDomain = 70 // VIR_FROM_TPM
	FromBPF              ErrorDomain = 71 // VIR_FROM_BPF
	FromCH               ErrorDomain = 72 // VIR_FROM_CH
)

var errorDomainNames = [...]string{
	0:  "NONE",
	1:  "XEN",
	2:  "XEND",
	3:  "XENSTORE",
	4:  "SEXPR",
	5:  "XML",
	6:  "DOM",
	7:  "RPC",
	8:  "PROXY",
	9:  "CONF",
	10: "QEMU",
	11: "NET",
	12: "TEST",
	13: "REMOTE",
	14: "OPENVZ",
	15: "XENXM",
	16: "STATS_LINUX",
	17: "LXC",
	18: "STORAGE",
	19: "NETWORK",
	20: "DOMAIN",
	21: "UML",
	22: "NODEDEV",
	23: "XEN_INOTIFY",
	24: "SECURITY",
	25: "VBOX",
	26: "INTERFACE",
	27: "ONE",
	28: "ESX",
	29: "PHYP",
	30: "SECRET",
	31: "CPU",
	32: "XENAPI",
	33: "NWFILTER",
	34: "HOOK",
	35: "DOMAIN_SNAPSHOT",
	36: "AUDIT",
	37: "SYSINFO",
	38: "STREAMS",
	39: "VMWARE",
	40: "EVENT",
	41: "LIBXL",
	42: "LOCKING",
	43: "HYPERV",
	44: "CAPABILITIES",
	45: "URI",
	46: "AUTH",
	47: "DBUS",
	48: "PARALLELS",
	49: "DEVICE",
	50: "SSH",
	51: "LOCKSPACE",
	52: "INITCTL",
	53: "IDENTITY",
	54: "CGROUP",
	55: "ACCESS",
	56: "SYSTEMD",
	57: "BHYVE",
	58: "CRYPTO",
	59: "FIREWALL",
	60: "POLKIT",
	61: "THREAD",
	62: "ADMIN",
	63: "LOGGING",
	64: "XENXL",
	65: "PERF",
	66: "LIBSSH",
	67: "RESCTRL",
	68: "FIREWALLD",
	69: "DOMAIN_CHECKPOINT",
	70: "TPM",
	71: "BPF",
	72: "CH",
}
