// Package reliability holds the cross-package tests of RELIABILITY.md that
// need the client, the fake libvirtd and fault injection together: load and
// attack (tests 42, 43, 47), slow links (40), TLS resets (41), the fake's
// event queue and callbacks (32, 39) and its refusal to open client paths
// (19). It has no code of its own; docs/reliability.md reports its figures.
package reliability
