package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/protocol"
)

// ParseURI shows how libvirt's remote driver reads a URI: the transport,
// where it connects, the files TLS uses and the name it asks the daemon to
// open.
func ExampleParseURI() {
	u, err := client.ParseURI("qemu+tls://kvm1.example.com/system?pkipath=/etc/virtwire/pki&no_verify=0&foo=bar")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("transport:", u.Transport)
	fmt.Println("address:  ", u.Address())
	fmt.Println("CA:       ", u.PKIFiles().CACert)
	fmt.Println("open name:", u.OpenName())

	_, err = client.ParseURI("qemu+unix://kvm1.example.com/system")
	fmt.Println("error:    ", err)
	fmt.Println("is VIR_ERR_INVALID_ARG:", errors.Is(err, protocol.ErrInvalidArg))
	// Output:
	// transport: tls
	// address:   kvm1.example.com:16514
	// CA:        /etc/virtwire/pki/cacert.pem
	// open name: qemu:///system?foo=bar
	// error:     invalid argument: using unix socket and remote server 'kvm1.example.com' is not supported.
	// is VIR_ERR_INVALID_ARG: true
}

// Dial connects read-only to the local system daemon, as virsh -r does,
// and prints what it runs. It needs a running libvirtd.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "qemu:///system", client.WithReadOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	typ, err := c.ConnectGetType(ctx)
	if err != nil {
		log.Fatal(err)
	}
	ver, err := c.ConnectGetLibVersion(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s driver, libvirt %d.%d.%d\n", typ, ver/1000000, ver/1000%1000, ver%1000)
}

// ListAllDomains lists the running domains with their state, as
// virsh list does. It needs a running libvirtd.
func ExampleConn_ListAllDomains() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "qemu:///system", client.WithReadOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	doms, err := c.ListAllDomains(ctx, protocol.ListDomainsActive)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range doms {
		state, _, err := c.DomainGetState(ctx, d, 0)
		if errors.Is(err, protocol.ErrNoDomain) {
			continue // it went away meanwhile
		} else if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%3d %-20s %s\n", d.ID, d.Name, state)
	}
}

// Done tells a long-lived user when to reconnect: every error after it
// wraps client.ErrConnClosed and the cause.
func ExampleConn_Done() {
	ctx := context.Background()
	for {
		c, err := client.Dial(ctx, "qemu+tls://kvm1.example.com/system")
		if err != nil {
			log.Print(err)
			time.Sleep(5 * time.Second)
			continue
		}
		<-c.Done()
		log.Printf("connection lost: %v", c.Err())
		c.Close()
	}
}

// SubscribeLifecycle prints lifecycle events of every domain until the
// connection ends. It needs a running libvirtd.
func ExampleConn_SubscribeLifecycle() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "qemu:///system", client.WithReadOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	sub, err := c.SubscribeLifecycle(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for ev := range sub.Events() {
		fmt.Println(ev.Dom.Name, ev.Event, ev.Detail)
	}
	fmt.Println("closed:", c.Err(), "dropped:", sub.Dropped())
}
