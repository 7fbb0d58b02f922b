package protocol

import "strconv"

// Program is an RPC program number (FACTS §2).
type Program uint32

// The programs libvirt defines. Every program has version 1.
const (
	ProgramRemote    Program = 0x20008086 // REMOTE_PROGRAM
	ProgramKeepalive Program = 0x6b656570 // KEEPALIVE_PROGRAM ("keep")
	ProgramQEMU      Program = 0x20008087 // QEMU_PROGRAM
	ProgramLXC       Program = 0x00068000 // LXC_PROGRAM
	ProgramAdmin     Program = 0x06900690 // ADMIN_PROGRAM (admin socket only)
)

// Program versions.
const (
	ProtocolVersion  uint32 = 1 // REMOTE_PROTOCOL_VERSION
	KeepaliveVersion uint32 = 1 // KEEPALIVE_PROTOCOL_VERSION
)

// String returns libvirt's name of the program, or its number in hex.
func (p Program) String() string {
	switch p {
	case ProgramRemote:
		return "REMOTE"
	case ProgramKeepalive:
		return "KEEPALIVE"
	case ProgramQEMU:
		return "QEMU"
	case ProgramLXC:
		return "LXC"
	case ProgramAdmin:
		return "ADMIN"
	}
	return "0x" + strconv.FormatUint(uint64(p), 16)
}

// MessageType is virNetMessageType (FACTS §3).
type MessageType int32

// Message types.
const (
	TypeCall         MessageType = 0 // VIR_NET_CALL, client to server
	TypeReply        MessageType = 1 // VIR_NET_REPLY, server to client
	TypeMessage      MessageType = 2 // VIR_NET_MESSAGE: events and keepalive, both ways
	TypeStream       MessageType = 3 // VIR_NET_STREAM
	TypeCallWithFDs  MessageType = 4 // VIR_NET_CALL_WITH_FDS (unix only)
	TypeReplyWithFDs MessageType = 5 // VIR_NET_REPLY_WITH_FDS
	TypeStreamHole   MessageType = 6 // VIR_NET_STREAM_HOLE
)

var typeNames = [...]string{"CALL", "REPLY", "MESSAGE", "STREAM", "CALL_WITH_FDS", "REPLY_WITH_FDS", "STREAM_HOLE"}

// String returns libvirt's name without the VIR_NET_ prefix, or the number.
func (t MessageType) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return strconv.Itoa(int(t))
}

// Status is virNetMessageStatus (FACTS §3).
type Status int32

// Statuses.
const (
	StatusOK       Status = 0 // VIR_NET_OK
	StatusError    Status = 1 // VIR_NET_ERROR: the payload is remote_error
	StatusContinue Status = 2 // VIR_NET_CONTINUE (streams only)
)

// String returns libvirt's name without the VIR_NET_ prefix, or the number.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "OK"
	case StatusError:
		return "ERROR"
	case StatusContinue:
		return "CONTINUE"
	}
	return strconv.Itoa(int(s))
}

// Keepalive procedures (KEEPALIVE_PROGRAM). Both travel as type MESSAGE,
// status OK, serial 0, with an empty payload: a 28-byte frame (FACTS §2).
const (
	KeepaliveProcPing Procedure = 1 // KEEPALIVE_PROC_PING
	KeepaliveProcPong Procedure = 2 // KEEPALIVE_PROC_PONG
)

// ProcedureName returns the name of procedure proc of program prog as libvirt
// spells it without its REMOTE_PROC_ or KEEPALIVE_PROC_ prefix, or a number.
func ProcedureName(prog Program, proc Procedure) string {
	switch prog {
	case ProgramRemote:
		return proc.String()
	case ProgramKeepalive:
		switch proc {
		case KeepaliveProcPing:
			return "PING"
		case KeepaliveProcPong:
			return "PONG"
		}
	}
	return strconv.Itoa(int(proc))
}

// ConnectFlags are the flags of CONNECT_OPEN (virConnectFlags).
type ConnectFlags uint32

// Connect flags.
const (
	ConnectRO        ConnectFlags = 1 // VIR_CONNECT_RO: a read-only connection
	ConnectNoAliases ConnectFlags = 2 // VIR_CONNECT_NO_ALIASES
)

// Feature is a CONNECT_SUPPORTS_FEATURE number (VIR_DRV_FEATURE_*, FACTS §5).
type Feature int32

// Features. The daemon answers FeatureProgramKeepalive before CONNECT_OPEN
// and starts its keepalive pings when asked; FeatureFDPassing,
// FeatureRemoteEventCallback and FeatureRemoteCloseCallback always answer 1.
const (
	FeatureMigrationV1                  Feature = 1
	FeatureRemote                       Feature = 2
	FeatureMigrationV2                  Feature = 3
	FeatureMigrationP2P                 Feature = 4
	FeatureMigrationDirect              Feature = 5
	FeatureMigrationV3                  Feature = 6
	FeatureMigrateChangeProtection      Feature = 7
	FeatureFDPassing                    Feature = 8
	FeatureTypedParamString             Feature = 9
	FeatureProgramKeepalive             Feature = 10
	FeatureXMLMigratable                Feature = 11
	FeatureMigrationOffline             Feature = 12
	FeatureMigrationParams              Feature = 13
	FeatureRemoteEventCallback          Feature = 14
	FeatureRemoteCloseCallback          Feature = 15
	FeatureNetworkUpdateHasCorrectOrder Feature = 16
)

var featureNames = [...]string{
	1: "MIGRATION_V1", 2: "REMOTE", 3: "MIGRATION_V2", 4: "MIGRATION_P2P", 5: "MIGRATION_DIRECT",
	6: "MIGRATION_V3", 7: "MIGRATE_CHANGE_PROTECTION", 8: "FD_PASSING", 9: "TYPED_PARAM_STRING",
	10: "PROGRAM_KEEPALIVE", 11: "XML_MIGRATABLE", 12: "MIGRATION_OFFLINE", 13: "MIGRATION_PARAMS",
	14: "REMOTE_EVENT_CALLBACK", 15: "REMOTE_CLOSE_CALLBACK", 16: "NETWORK_UPDATE_HAS_CORRECT_ORDER",
}

// String returns the name without its VIR_DRV_FEATURE_ prefix, or the number.
func (f Feature) String() string {
	if f > 0 && int(f) < len(featureNames) {
		return featureNames[f]
	}
	return strconv.Itoa(int(f))
}

// AuthType is remote_auth_type.
type AuthType int32

// Authentication types.
const (
	AuthNone   AuthType = 0 // REMOTE_AUTH_NONE
	AuthSASL   AuthType = 1 // REMOTE_AUTH_SASL
	AuthPolkit AuthType = 2 // REMOTE_AUTH_POLKIT
)

// String returns the name without its REMOTE_AUTH_ prefix, or the number.
func (a AuthType) String() string {
	switch a {
	case AuthNone:
		return "NONE"
	case AuthSASL:
		return "SASL"
	case AuthPolkit:
		return "POLKIT"
	}
	return strconv.Itoa(int(a))
}
