// Package testdriver is an in-memory hypervisor that answers libvirt's RPC
// protocol the way libvirtd 9.0's test driver does (test:///default and
// test:///path/node.xml), for use with package server: the fake libvirtd.
//
// A [Node] describes a host and its domains as Go values. [ParseNodeXML]
// and [LoadNodeXML] read the node XML files libvirt's test driver takes
// (FACTS §13), [Default] is the node test:///default serves. A [Driver]
// serves nodes under CONNECT_OPEN names; [Driver.Register] installs its
// procedure handlers on a *server.Server. Each node is served by a [Host],
// whose methods change domains while clients are connected.
//
// # Sessions
//
// As in libvirtd, each connection that opens a node from a file gets its own
// copy of the node (FACTS S14): what one connection changes, another never
// sees, and it is gone when the connection closes. test:///default is shared
// by every connection that has it open and is reset when the last one
// closes. Changes made through a Host apply to the node and to every open
// copy of it.
//
// # Fidelity
//
// Every reply, error included, is meant to be byte for byte what libvirtd
// 9.0 sends for the same call on the same node, and the package's tests
// compare the two. Known differences are listed in docs/fake-server.md: the
// order of domains in list replies (node order here, hash order in
// libvirtd), procedures the fake does not implement (they answer "unknown
// procedure", as an older libvirtd would), and the fake never opening a path
// a client names.
package testdriver
