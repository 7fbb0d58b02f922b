// Package nodexml generates libvirt test-driver node XML (FACTS §13): the
// file a test+unix:///path.xml URI names, holding any number of domains in
// a deterministic mix of states, persistence, managed-save images and
// snapshots.
//
// [Generate] derives every name, UUID and attribute from a seed, so the same
// (n, seed) always gives the same bytes; tests can rebuild the expected
// listing instead of storing it. The first eight domains repeat the shapes
// of setup/node.xml (running, paused, shut off with a managed-save image,
// shut off with a snapshot, running transient, crashed, shut off,
// pmsuspended), so every ConnectListAllDomains filter group (FACTS §12)
// has members as soon as n ≥ 8; the rest are drawn at random.
//
// The writers emit what the [Node] holds; [Node.Validate] checks it against
// the rules the test driver enforces when it loads the file (a transient
// domain cannot be shut off, a managed-save image needs a shut-off domain,
// runstate below 8, unique names and UUIDs).
package nodexml
