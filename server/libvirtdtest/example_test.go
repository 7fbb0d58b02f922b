package libvirtdtest_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
	"github.com/virtwire/virtwire/server/testdriver"
)

// A test starts a fake libvirtd with one line and hands its URI to the code
// under test; here virtwire's client lists the domains. In a test, use
// NewServer(t, ...): the test's cleanup stops it.
func Example() {
	srv, err := libvirtdtest.Launch(libvirtdtest.WithNode(&testdriver.Node{Domains: []testdriver.Domain{
		{Name: "web", State: protocol.DomainRunning},
		{Name: "db", State: protocol.DomainPaused},
		{Name: "backup", State: protocol.DomainShutoff},
	}}))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := context.Background()
	c, err := client.Dial(ctx, srv.URI) // test+unix:///…/node0.xml?socket=…
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	doms, err := c.ListAllDomains(ctx, protocol.ListDomainsActive|protocol.ListDomainsInactive)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range doms {
		fmt.Println(d.ID, d.Name)
	}
	// Output:
	// 1 web
	// 2 db
	// -1 backup
}

// The fake speaks libvirt's wire protocol on a real unix socket, so any
// client works, down to raw frames: AUTH_LIST, CONNECT_OPEN, then
// CONNECT_LIST_ALL_DOMAINS (FACTS §7).
func Example_rawFrames() {
	srv, err := libvirtdtest.Launch(libvirtdtest.NodeXML("testdata/node.xml"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	conn, err := net.Dial("unix", srv.Socket)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	fr := protocol.NewFrameReader(conn)
	serial := uint32(0)
	call := func(proc protocol.Procedure, args, ret protocol.Message) {
		h := protocol.Header{Program: protocol.ProgramRemote, Version: protocol.ProtocolVersion,
			Procedure: proc, Type: protocol.TypeCall, Serial: serial}
		serial++
		b, err := protocol.AppendFrame(nil, &h, args)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := conn.Write(b); err != nil {
			log.Fatal(err)
		}
		f, err := fr.ReadFrame()
		if err != nil {
			log.Fatal(err)
		}
		if f.Header.Status != protocol.StatusOK {
			var e protocol.Error
			e.UnmarshalBinary(f.Payload)
			log.Fatal(&e)
		}
		if ret != nil {
			if _, err := protocol.Unmarshal(f.Payload, ret); err != nil {
				log.Fatal(err)
			}
		}
	}
	call(protocol.ProcAuthList, nil, nil)
	call(protocol.ProcConnectOpen, &protocol.ConnectOpenArgs{Name: protocol.Some(srv.Host.Name())}, nil)
	var ret protocol.ConnectListAllDomainsRet
	call(protocol.ProcConnectListAllDomains,
		&protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: protocol.ListDomainsInactive}, &ret)
	for _, d := range ret.Domains {
		fmt.Println(d.Name, d.UUID, d.ID)
	}
	// Output:
	// charlie 33333333-3333-3333-3333-333333333333 -1
	// delta 44444444-4444-4444-4444-444444444444 -1
	// golf 77777777-7777-7777-7777-777777777777 -1
}

// A test can change the node while clients are connected, and make a
// procedure fail.
func ExampleServer_SetFault() {
	srv, err := libvirtdtest.Launch()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := client.Dial(ctx, srv.DefaultURI)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if err := srv.Host.SetState("test", protocol.DomainPaused); err != nil {
		log.Fatal(err)
	}
	doms, _ := c.ListAllDomains(ctx, protocol.ListDomainsPaused)
	fmt.Println("paused:", doms[0].Name)

	srv.SetFault(protocol.ProcConnectListAllDomains, libvirtdtest.Fault{
		Error: protocol.NewError(protocol.FromTest, protocol.ErrInternalError, "disk on fire"),
		Count: 1,
	})
	_, err = c.ListAllDomains(ctx, 0)
	fmt.Println("error:", err)
	doms, err = c.ListAllDomains(ctx, 0)
	fmt.Println("then:", len(doms), err)
	// Output:
	// paused: test
	// error: internal error: disk on fire
	// then: 1 <nil>
}
