package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/virtwire/virtwire/xdr"
)

var dom = NonnullDomain{Name: "alpha", UUID: uuidOf(0x11), ID: 1}

// sampleMessages holds a value of every message type with every field set,
// so that a field left out of an encoder or decoder shows up.
func sampleMessages() []Message {
	return []Message{
		&ConnectOpenArgs{Name: Some("test:///default"), Flags: ConnectRO},
		&ConnectOpenArgs{},
		&ConnectSupportsFeatureArgs{Feature: FeatureProgramKeepalive},
		&ConnectSupportsFeatureRet{Supported: 1},
		&AuthListRet{Types: []AuthType{AuthNone, AuthSASL, AuthPolkit}},
		&StringRet{Value: "TEST"},
		&Uint64Ret{Value: 9000000},
		&Int32Value{Value: -7},
		&Uint32Value{Value: 0xfffffffe},
		&DomainArgs{Dom: dom},
		&DomainFlagsArgs{Dom: dom, Flags: 5},
		&DomainSetAutostartArgs{Dom: dom, Autostart: 1},
		&DomainLookupByNameArgs{Name: "charlie"},
		&DomainLookupByUUIDArgs{UUID: uuidOf(0x33)},
		&DomainGetStateRet{State: DomainPaused, Reason: 2},
		&DomainGetInfoRet{State: 1, MaxMem: 1048576, Memory: 524288, NrVirtCPU: 2, CPUTime: 123456789},
		&DomainEventLifecycleMsg{Dom: dom, Event: DomainEventSuspended, Detail: 1},
		&DomainEventCallbackLifecycleMsg{CallbackID: 3, Msg: DomainEventLifecycleMsg{Dom: dom, Event: DomainEventResumed}},
		&ConnectDomainEventCallbackRegisterAnyArgs{EventID: DomainEventIDLifecycle, Dom: &dom},
		&ConnectDomainEventCallbackRegisterAnyArgs{EventID: 4},
		&ConnectListAllDomainsArgs{NeedResults: 1, Flags: 3},
		&ConnectListAllDomainsRet{Domains: []NonnullDomain{dom, {Name: "golf", ID: -1}}, Ret: 2},
		&ConnectListDomainsRet{IDs: []int32{3, 2, 1}},
		&NamesRet{Names: []string{"charlie", "Bravo", ""}},
		&DomainSnapshotListNamesArgs{Dom: dom, MaxNames: 10, Flags: 1},
		&DomainListAllChildrenArgs{Dom: dom, NeedResults: 1, Flags: 2},
		&DomainListAllChildrenRet{Children: []NonnullDomainChild{{Name: "snap1", Dom: dom}}, Ret: 1},
		&DomainGetMetadataArgs{Dom: dom, Type: MetadataTitle, URI: Some("http://x"), Flags: 1},
		&DomainSetMetadataArgs{Dom: dom, Type: MetadataElement, Metadata: Some("<x/>"), Key: Some("k"), URI: Some("u"), Flags: 3},
		&ConnectGetMaxVcpusArgs{Type: Some("kvm")},
		&NodeGetInfoRet{Model: [32]byte{'i', '6', '8', '6', 31: 0xc3}, Memory: 3145728, CPUs: 16, MHz: 1400, Nodes: 2, Sockets: 2, Cores: 2, Threads: 2},
		&ConnectSetIdentityArgs{Flags: 1, Params: []TypedParam{
			{Field: "i", Type: TypedParamInt, I: -2}, {Field: "ui", Type: TypedParamUInt, UI: 7},
			{Field: "l", Type: TypedParamLLong, L: -1}, {Field: "ul", Type: TypedParamULLong, UL: 5},
			{Field: "d", Type: TypedParamDouble, D: 1.5}, {Field: "b", Type: TypedParamBoolean, I: 1},
			{Field: "user-name", Type: TypedParamString, S: "abcde"},
		}},
		&Error{Code: ErrNoDomain, Domain: FromTest, Message: Some("Domain not found"), Level: LevelError, Str1: Some("Domain not found"), Int1: -1, Int2: -1},
		&Header{Program: ProgramRemote, Version: 1, Procedure: ProcConnectListAllDomains, Type: TypeReply, Serial: 9, Status: StatusOK},
	}
}

// TestMessagesRoundTrip encodes, decodes and re-encodes every sample, and
// cuts every encoding at every length: each cut must fail with ErrShort.
func TestMessagesRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		name := fmt.Sprintf("%T", m)
		b, err := m.AppendBinary(nil)
		if err != nil {
			t.Errorf("%s: encode: %v", name, err)
			continue
		}
		fresh := reflect.New(reflect.TypeOf(m).Elem()).Interface().(Message)
		trailing, err := Unmarshal(b, fresh)
		if err != nil || trailing != 0 {
			t.Errorf("%s: decode: %d trailing, %v", name, trailing, err)
			continue
		}
		if !reflect.DeepEqual(fresh, m) {
			t.Errorf("%s: round trip gave %+v, want %+v", name, fresh, m)
		}
		again, _ := fresh.AppendBinary(nil)
		if !bytes.Equal(again, b) {
			t.Errorf("%s: re-encoding differs: %x vs %x", name, again, b)
		}
		for n := range len(b) {
			cut := reflect.New(reflect.TypeOf(m).Elem()).Interface().(Message)
			if _, err := Unmarshal(b[:n], cut); !errors.Is(err, xdr.ErrShort) {
				t.Errorf("%s cut at %d of %d: %v, want ErrShort", name, n, len(b), err)
			}
		}
	}
}

// TestRegistryCovered checks that every message type the registry hands out
// has a sample above, and that the payload of each procedure is what the
// wire says.
func TestRegistryCovered(t *testing.T) {
	sampled := map[reflect.Type]bool{}
	for _, m := range sampleMessages() {
		sampled[reflect.TypeOf(m)] = true
	}
	for p, info := range procInfos {
		for _, f := range []func() Message{info.Args, info.Ret, info.Msg} {
			if f == nil {
				continue
			}
			if typ := reflect.TypeOf(f()); !sampled[typ] {
				t.Errorf("%v: %v has no sample", p, typ)
			}
		}
		if p.IsEvent() != (info.Msg != nil) {
			t.Errorf("%v: IsEvent = %v but Msg set = %v", p, p.IsEvent(), info.Msg != nil)
		}
	}
}

func TestNewPayload(t *testing.T) {
	tests := []struct {
		h    Header
		want string
	}{
		{Header{Program: ProgramRemote, Procedure: ProcConnectListAllDomains, Type: TypeCall}, "*protocol.ConnectListAllDomainsArgs"},
		{Header{Program: ProgramRemote, Procedure: ProcConnectListAllDomains, Type: TypeReply}, "*protocol.ConnectListAllDomainsRet"},
		{Header{Program: ProgramRemote, Procedure: ProcConnectListAllDomains, Type: TypeReply, Status: StatusError}, "*protocol.Error"},
		{Header{Program: ProgramRemote, Procedure: 9999, Type: TypeReply, Status: StatusError}, "*protocol.Error"},
		{Header{Program: ProgramRemote, Procedure: ProcConnectClose, Type: TypeCall}, "protocol.Void"},
		{Header{Program: ProgramRemote, Procedure: ProcDomainEventCallbackLifecycle, Type: TypeMessage}, "*protocol.DomainEventCallbackLifecycleMsg"},
		{Header{Program: ProgramKeepalive, Procedure: KeepaliveProcPing, Type: TypeMessage}, "protocol.Void"},
		{Header{Program: ProgramRemote, Procedure: 9999, Type: TypeCall}, "<nil>"},
		{Header{Program: 0x12345678, Procedure: 1, Type: TypeCall}, "<nil>"},
		{Header{Program: ProgramRemote, Procedure: ProcConnectOpen, Type: TypeStream}, "<nil>"},
	}
	for _, tt := range tests {
		if got := fmt.Sprintf("%T", NewPayload(&tt.h)); got != tt.want {
			t.Errorf("NewPayload(%v) = %s, want %s", tt.h, got, tt.want)
		}
	}
}

func TestEncodeLimits(t *testing.T) {
	long := string(make([]byte, StringMax+1))
	tests := []Message{
		&ConnectOpenArgs{Name: Some(long)},
		&DomainArgs{Dom: NonnullDomain{Name: long}},
		&DomainLookupByNameArgs{Name: long},
		&StringRet{Value: long},
		&AuthListRet{Types: make([]AuthType, AuthTypeListMax+1)},
		&ConnectListDomainsRet{IDs: make([]int32, DomainListMax+1)},
		&NamesRet{Names: make([]string, DomainListMax+1)},
		&NamesRet{Names: []string{long}},
		&ConnectSetIdentityArgs{Params: make([]TypedParam, ConnectIdentityParamsMax+1)},
		&DomainListAllChildrenRet{Children: make([]NonnullDomainChild, DomainSnapshotListMax+1)},
		&DomainGetMetadataArgs{URI: Some(long)},
		&ConnectDomainEventCallbackRegisterAnyArgs{Dom: &NonnullDomain{Name: long}},
	}
	for _, m := range tests {
		if b, err := m.AppendBinary([]byte{1, 2}); !errors.Is(err, xdr.ErrTooLong) || !bytes.Equal(b, []byte{1, 2}) {
			t.Errorf("%T over its limit: %v (buffer %d bytes)", m, err, len(b))
		}
	}
	if _, err := (&ConnectSetIdentityArgs{Params: []TypedParam{{Type: 99}}}).AppendBinary(nil); !errors.Is(err, ErrBadTypedParam) {
		t.Errorf("typed param type 99: %v", err)
	}
	// A typed param of an unknown type on the wire (libvirt: no default arm).
	b := xdr.AppendUint32(nil, 1)
	b = xdr.AppendString(b, "x")
	b = xdr.AppendInt32(b, 99)
	b = xdr.AppendInt32(b, 0)
	b = xdr.AppendUint32(b, 0)
	if err := new(ConnectSetIdentityArgs).UnmarshalBinary(b); !errors.Is(err, xdr.ErrRange) {
		t.Errorf("decode typed param type 99: %v", err)
	}
}

func TestUUID(t *testing.T) {
	u := UUID{0x66, 0x95, 0xeb, 0x01, 0xf6, 0xa4, 0x83, 0x04, 0x79, 0xaa, 0x97, 0xf2, 0x50, 0x2e, 0x19, 0x3f}
	if u.String() != "6695eb01-f6a4-8304-79aa-97f2502e193f" {
		t.Errorf("String = %s", u)
	}
	for _, s := range []string{"6695eb01-f6a4-8304-79aa-97f2502e193f", "6695EB01F6A4830479AA97F2502E193F", "  6695eb01-f6a4-8304-79aa-97f2502e193f "} {
		if got, err := ParseUUID(s); err != nil || got != u {
			t.Errorf("ParseUUID(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "6695eb01", "6695eb01-f6a4-8304-79aa-97f2502e193f0", "6695eb01-f6a4-8304-79aa-97f2502e193g", "x6695eb01f6a4830479aa97f2502e193f"} {
		if _, err := ParseUUID(s); !errors.Is(err, ErrBadUUID) {
			t.Errorf("ParseUUID(%q) = %v, want ErrBadUUID", s, err)
		}
	}
	text, _ := u.MarshalText()
	var back UUID
	if err := back.UnmarshalText(text); err != nil || back != u {
		t.Errorf("text round trip: %v %v", back, err)
	}
}

func TestNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{ProcConnectListAllDomains.String(), "CONNECT_LIST_ALL_DOMAINS"},
		{ProcLast.String(), "DOMAIN_FD_ASSOCIATE"},
		{Procedure(444).String(), "444"},
		{Procedure(0).String(), "0"},
		{ProcedureName(ProgramKeepalive, KeepaliveProcPing), "PING"},
		{ProcedureName(ProgramKeepalive, 7), "7"},
		{ProcedureName(ProgramRemote, 1), "CONNECT_OPEN"},
		{ProgramRemote.String(), "REMOTE"},
		{Program(0x12345678).String(), "0x12345678"},
		{TypeStreamHole.String(), "STREAM_HOLE"},
		{MessageType(99).String(), "99"},
		{StatusContinue.String(), "CONTINUE"},
		{Status(5).String(), "5"},
		{FeatureProgramKeepalive.String(), "PROGRAM_KEEPALIVE"},
		{Feature(9999).String(), "9999"},
		{AuthPolkit.String(), "POLKIT"},
		{DomainPMSuspended.String(), "PMSUSPENDED"},
		{DomainEventCrashed.String(), "CRASHED"},
		{(Header{Program: ProgramRemote, Version: 1, Procedure: 273, Type: TypeCall, Serial: 6}).String(), "REMOTE CONNECT_LIST_ALL_DOMAINS CALL serial=6 status=OK"},
		{Some("x").String() + OptionalString{}.String(), "x<null>"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if !ProcDomainEventCallbackLifecycle.IsEvent() || ProcConnectOpen.IsEvent() {
		t.Errorf("IsEvent")
	}
}
