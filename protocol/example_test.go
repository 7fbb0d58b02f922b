package protocol_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/virtwire/virtwire/protocol"
)

// Encode the CONNECT_LIST_ALL_DOMAINS call virsh list --inactive sends
// (FACTS §7) into a reusable buffer.
func ExampleAppendFrame() {
	buf := make([]byte, 0, 64)
	h := protocol.Header{
		Program:   protocol.ProgramRemote,
		Version:   protocol.ProtocolVersion,
		Procedure: protocol.ProcConnectListAllDomains,
		Type:      protocol.TypeCall,
		Serial:    6,
	}
	args := protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: protocol.ListDomainsInactive}
	buf, err := protocol.AppendFrame(buf, &h, &args)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("% x\n", buf)
	// Output:
	// 00 00 00 24 20 00 80 86 00 00 00 01 00 00 01 11 00 00 00 00 00 00 00 06 00 00 00 00 00 00 00 01 00 00 00 02
}

// Decode a ListAllDomains reply payload.
func ExampleConnectListAllDomainsRet_UnmarshalBinary() {
	payload := []byte{
		0, 0, 0, 1, // one domain
		0, 0, 0, 4, 'g', 'o', 'l', 'f', // name
		0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, // uuid
		0xff, 0xff, 0xff, 0xff, // id -1: inactive
		0, 0, 0, 1, // ret
	}
	var ret protocol.ConnectListAllDomainsRet
	if err := ret.UnmarshalBinary(payload); err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range ret.Domains {
		fmt.Println(d.Name, d.UUID, d.ID)
	}
	// Output:
	// golf 77777777-7777-7777-7777-777777777777 -1
}

// Write two frames to a stream and read them back.
func ExampleFrameReader() {
	var stream bytes.Buffer
	var buf []byte
	for serial, flags := range []protocol.ListDomainsFlags{protocol.ListDomainsActive, protocol.ListDomainsPersistent | protocol.ListDomainsRunning} {
		h := protocol.Header{Program: protocol.ProgramRemote, Version: 1, Procedure: protocol.ProcConnectListAllDomains, Serial: uint32(serial)}
		buf, _ = protocol.AppendFrame(buf[:0], &h, &protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: flags})
		stream.Write(buf)
	}
	fr := protocol.NewFrameReader(&stream)
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			break // io.EOF
		}
		var args protocol.ConnectListAllDomainsArgs
		if err := args.UnmarshalBinary(f.Payload); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(f.Header, args.Flags)
	}
	// Output:
	// REMOTE CONNECT_LIST_ALL_DOMAINS CALL serial=0 status=OK ACTIVE
	// REMOTE CONNECT_LIST_ALL_DOMAINS CALL serial=1 status=OK PERSISTENT|RUNNING
}

// Filter domains as libvirt does, and get libvirt's own error for unknown bits.
func ExampleFilterDomains() {
	type vm struct {
		name  string
		attrs protocol.DomainAttrs
	}
	vms := []vm{
		{"web", protocol.DomainAttrs{Active: true, Persistent: true, State: protocol.DomainRunning}},
		{"db", protocol.DomainAttrs{Persistent: true, State: protocol.DomainShutoff, ManagedSave: true}},
		{"scratch", protocol.DomainAttrs{Active: true, State: protocol.DomainPaused}},
	}
	attrs := func(v vm) protocol.DomainAttrs { return v.attrs }
	flags, _ := protocol.ParseListDomainsFlags("persistent|running|shutoff")
	got, _ := protocol.FilterDomains(flags, vms, attrs)
	for _, v := range got {
		fmt.Println(v.name)
	}
	_, err := protocol.FilterDomains(1<<30, vms, attrs)
	fmt.Println(err, errors.Is(err, protocol.ErrInvalidArg))
	// Output:
	// web
	// db
	// unsupported flags (0x40000000) in function testConnectListAllDomains true
}
